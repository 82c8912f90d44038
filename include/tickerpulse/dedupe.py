"""Exact and near-duplicate fingerprints of post text.

Copy-paste spam and cross-posts inflate a ticker's mention count without adding a voice. Exact
copies are caught by a hash of the normalised text; lightly edited copies by a 64-bit SimHash whose
Hamming distance stays small when only a few words change. Short texts ("🚀🚀🚀", "GME!") are too
short for SimHash to mean anything, so they get the sentinel fingerprint 0 and only ever match
exactly.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from functools import lru_cache

import numpy as np

MIN_NEAR_DUP_TOKENS = 5
NO_SIMHASH = 0  # fingerprint of texts too short to compare approximately
_MASK64 = (1 << 64) - 1

_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_APOSTROPHES = str.maketrans("", "", "'’`")
_DROP_CATEGORIES = ("P", "Sc", "Sk", "Sm", "C")  # punctuation, $, ^, +, controls; keep emoji


class _StripTable(dict[int, int]):
    """str.translate table over all of Unicode, filled lazily: punctuation and symbols other than
    emoji become spaces. Hits are plain dict lookups in C, so this is fast after warm-up."""

    def __missing__(self, code: int) -> int:
        cat = unicodedata.category(chr(code))
        value = 0x20 if cat.startswith(_DROP_CATEGORIES) else code
        self[code] = value
        return value


_STRIP = _StripTable()


def normalise(text: str) -> str:
    """Compatibility-folded, casefolded, URLs and punctuation removed, whitespace collapsed.

    NFKC folds the "fancy font" letters spammers use (𝐆𝐌𝐄) onto plain ones; emoji are kept because
    they carry meaning here. Apostrophes are deleted rather than spaced so "don't" stays one word.
    """
    if not isinstance(text, str) or not text:
        return ""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _URL_RE.sub(" ", text).translate(_APOSTROPHES).translate(_STRIP)
    return " ".join(text.split())


def content_hash(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8", "surrogatepass")).hexdigest()


@lru_cache(maxsize=1 << 18)
def _token_hash(token: str) -> int:
    digest = hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def simhash64(text: str) -> int:
    """SimHash over the words, as a signed int64 so it fits a Postgres bigint.

    Words rather than 3-shingles: Reddit posts are short, and one edited word changes three
    shingles of a 40-word post, which already moves the hash by 5-7 bits, past the usual k=3;
    over words the same edit moves it by 1-3 bits while unrelated posts stay about 32 apart.
    Word hashes come from blake2b, not Python's salted hash(), so fingerprints stored in the
    warehouse stay comparable across processes and re-runs.
    """
    return _simhash_of_tokens(normalise(text).split())


def fingerprint(text: str) -> tuple[str, int]:
    """(content_hash(text), simhash64(text)) from one normalisation instead of two: the filter
    fingerprints every post of the interval, and normalising is most of the cost."""
    norm = normalise(text)
    digest = hashlib.sha256(norm.encode("utf-8", "surrogatepass")).hexdigest()
    return digest, _simhash_of_tokens(norm.split())


def _simhash_of_tokens(tokens: list[str]) -> int:
    if len(tokens) < MIN_NEAR_DUP_TOKENS:
        return NO_SIMHASH
    # big-endian bytes, so bit i of the fingerprint is the same on any machine
    hashes = np.fromiter(map(_token_hash, tokens), dtype=">u8", count=len(tokens))
    bits = np.unpackbits(hashes.view(np.uint8).reshape(-1, 8), axis=1)
    votes = bits.sum(axis=0, dtype=np.int64) * 2 - bits.shape[0]  # +1 per set bit, -1 per clear
    value = int.from_bytes(np.packbits(votes > 0).tobytes(), "big")
    if value == NO_SIMHASH:  # keep the sentinel for short texts only
        value = 1
    return value - (1 << 64) if value >= 1 << 63 else value


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & _MASK64).bit_count()


def _bands(k: int) -> list[tuple[int, int]]:
    """k+1 bit ranges covering 64 bits: two hashes within distance k agree exactly on at least one
    of them (pigeonhole), so only hashes sharing a band value need comparing."""
    n = k + 1
    edges = [round(i * 64 / n) for i in range(n + 1)]
    return [(lo, hi - lo) for lo, hi in zip(edges, edges[1:], strict=False)]


class NearDuplicateIndex:
    """Earlier SimHashes, bucketed by band, so a lookup touches a handful of candidates rather
    than every post seen (200k posts per interval would be 4·10^10 comparisons pairwise)."""

    def __init__(self, k: int = 3) -> None:
        if not 0 <= k < 32:
            raise ValueError("k must be in [0, 32)")
        self.k = k
        self._bands = _bands(k)
        self._buckets: list[defaultdict[int, list[tuple[int, str, int]]]] = [
            defaultdict(list) for _ in self._bands
        ]
        self._seq = 0

    def __len__(self) -> int:
        return self._seq

    def add(self, post_id: str, simhash: int) -> None:
        if simhash == NO_SIMHASH:
            return
        h = simhash & _MASK64
        for (lo, width), buckets in zip(self._bands, self._buckets, strict=True):
            buckets[(h >> lo) & ((1 << width) - 1)].append((self._seq, post_id, h))
        self._seq += 1

    def find(self, simhash: int) -> str | None:
        """The earliest added post within Hamming distance k, or None."""
        if simhash == NO_SIMHASH:
            return None
        h = simhash & _MASK64
        best: tuple[int, str] | None = None
        for (lo, width), buckets in zip(self._bands, self._buckets, strict=True):
            for seq, post_id, other in buckets.get((h >> lo) & ((1 << width) - 1), ()):
                if best is not None and seq >= best[0]:
                    break  # buckets are in insertion order; nothing earlier follows
                if (h ^ other).bit_count() <= self.k:
                    best = (seq, post_id)
                    break
        return None if best is None else best[1]


# --- Banded keys for the warehouse index (tickerpulse.dedupe_bands, sql/031) -----------------
#
# The in-memory index above uses k+1 bands of 64/(k+1) bits. Against 24 hours of a 10M-a-day
# history, a 16-bit band (k=3) is shared by chance with about 150 earlier posts, so every lookup
# would fetch ~600 candidates. The warehouse index splits the 64 bits into k+2 blocks instead and
# keys every *pair* of blocks: two hashes within distance k differ in at most k blocks, so at least
# two blocks agree, and so does the key of that pair (pigeonhole). For k=3 that is 10 keys of
# about 26 bits per post: about 0.2 random candidates per key at 10M posts, still exact.

_KEY_INDEX_SHIFT = 48  # bits above the pair's value that number the pair


def key_blocks(k: int) -> list[tuple[int, int]]:
    """(low bit, width) of the k+2 blocks that cover the 64 bits."""
    if not 0 <= k < 32:
        raise ValueError("k must be in [0, 32)")
    n = k + 2
    edges = [round(i * 64 / n) for i in range(n + 1)]
    return [(lo, hi - lo) for lo, hi in zip(edges, edges[1:], strict=False)]


def key_pairs(k: int) -> list[tuple[int, int, int, int, int]]:
    """(pair number, low bit i, width i, low bit j, width j) of every key, as SQL computes them
    (sql/queries/dedupe_insert_bands.sql); pair number -1 means "the whole hash" (k=0)."""
    blocks = key_blocks(k)
    out = []
    pair = 0
    for i in range(len(blocks)):
        for j in range(i + 1, len(blocks)):
            (lo_i, w_i), (lo_j, w_j) = blocks[i], blocks[j]
            if w_i + w_j > _KEY_INDEX_SHIFT:
                out.append((-1, lo_i, w_i, lo_j, w_j))
                continue
            out.append((pair, lo_i, w_i, lo_j, w_j))
            pair += 1
    return out


def band_keys(simhashes: np.ndarray, k: int) -> np.ndarray:
    """The warehouse keys of signed 64-bit SimHashes: shape (len(simhashes), pairs), int64.

    Key of the pair (i, j): its number << 48 | block i's bits << width(j) | block j's bits. Two
    hashes within Hamming distance k share at least one key. The sentinel NO_SIMHASH has none;
    callers leave it out.
    """
    h = np.asarray(simhashes, dtype=np.int64).view(np.uint64)
    columns = []
    for pair, lo_i, w_i, lo_j, w_j in key_pairs(k):
        if pair < 0:  # k=0: one pair of 32 + 32 bits, the hash itself
            columns.append(h.view(np.int64))
            continue
        bi = (h >> np.uint64(lo_i)) & np.uint64((1 << w_i) - 1)
        bj = (h >> np.uint64(lo_j)) & np.uint64((1 << w_j) - 1)
        key = (np.uint64(pair) << np.uint64(_KEY_INDEX_SHIFT)) | (bi << np.uint64(w_j)) | bj
        columns.append(key.view(np.int64))
    return np.stack(columns, axis=1) if columns else np.empty((len(h), 0), dtype=np.int64)


def fingerprints(texts: list[str], chunk: int = 4096) -> tuple[list[str], list[int]]:
    """`fingerprint` of many texts at once: the SimHash votes of a chunk of posts are one numpy
    reduction over all their word hashes instead of a numpy call per post (the filter
    fingerprints a whole interval: 208,000 posts at 10M a day). Chunks bound the bit matrix
    (64 bytes per word) to a few MB. Equal to `fingerprint` text by text (a test checks)."""
    hashes: list[str] = []
    sims: list[int] = []
    for at in range(0, len(texts), chunk):
        norms = [normalise(t) for t in texts[at : at + chunk]]
        hashes += [hashlib.sha256(n.encode("utf-8", "surrogatepass")).hexdigest() for n in norms]
        tokens = [n.split() for n in norms]
        counts = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
        long_enough = counts >= MIN_NEAR_DUP_TOKENS
        chunk_sims = np.zeros(len(tokens), dtype=np.uint64)
        if long_enough.any():
            words = [w for t, ok in zip(tokens, long_enough, strict=True) if ok for w in t]
            word_hashes = np.fromiter(map(_token_hash, words), dtype=">u8", count=len(words))
            bits = np.unpackbits(word_hashes.view(np.uint8).reshape(-1, 8), axis=1)
            n = counts[long_enough]
            starts = np.concatenate(([0], np.cumsum(n)[:-1]))
            ones = np.add.reduceat(bits, starts, axis=0, dtype=np.int64)
            votes = ones * 2 - n[:, None]
            packed = np.packbits(votes > 0, axis=1).view(">u8").ravel().astype(np.uint64)
            packed[packed == NO_SIMHASH] = 1  # keep the sentinel for short texts only
            chunk_sims[long_enough] = packed
        sims += chunk_sims.view(np.int64).tolist()
    return hashes, sims
