"""The LLM scorer through the real openai client against a loopback chat-completions server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers import openai_server as srv
from tests.servers.openai_server import Fault, OpenAIServer
from tickerpulse.retry import Backoff
from tickerpulse.scoring.base import BatchResult, PostToScore
from tickerpulse.scoring.llm import (
    LlmScorer,
    LlmUnavailable,
    estimate_prompt_tokens,
    load_prompt,
    max_tokens_for,
)

POSTS = [
    PostToScore("p1", "GME to the moon 🚀", ("GME",)),
    PostToScore("p2", "Loading up on puts for TSLA and NVDA", ("TSLA", "NVDA")),
    PostToScore("p3", "AAPL earnings are on Thursday", ("AAPL",)),
]


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as running:
        yield running


def scorer_for(server: OpenAIServer, max_retries: int = 2) -> LlmScorer:
    return LlmScorer(
        base_url=server.base_url,
        api_key="test-key",
        model="test-model",
        max_retries=max_retries,
        timeout=5.0,
        backoff=Backoff(base_s=0.01),
    )


def by_key(result: BatchResult) -> dict[tuple[str, str], float]:
    return {(s.post_id, s.ticker): s.score for s in result.scores}


def assert_no_post_lost(result: BatchResult, posts: list[PostToScore]) -> None:
    scored = {s.post_id for s in result.scores}
    assert scored.isdisjoint(result.unscored)
    assert scored | result.unscored.keys() == {p.post_id for p in posts}


def test_happy_path_scores_every_ticker_in_one_request(server: OpenAIServer) -> None:
    scorer = scorer_for(server)
    result = scorer.score_batch(POSTS)

    assert by_key(result) == {
        ("p1", "GME"): 0.8,
        ("p2", "TSLA"): -0.6,
        ("p2", "NVDA"): -0.6,
        ("p3", "AAPL"): 0.0,
    }
    assert [s.label for s in result.scores] == ["bullish", "bearish", "bearish", "neutral"]
    assert result.scores[0].reasoning == "Says 'moon', which is bullish."
    assert result.unscored == {}
    assert len(server.completions()) == 1
    assert result.calls == 1
    assert scorer.version == "test-model@v1"
    assert (scorer.name, scorer.model, scorer.prompt_version) == ("llm", "test-model", "v1")


def test_usage_is_counted_from_the_response(server: OpenAIServer) -> None:
    result = scorer_for(server).score_batch(POSTS)

    (request,) = server.completions()
    body = request.json()
    # the server counts with tiktoken; the client's estimate before sending is the same number
    assert result.tokens_in == estimate_prompt_tokens(body["messages"]) > 0
    assert 0 < result.tokens_out <= body["max_tokens"]
    (call,) = result.call_log
    assert (call.posts, call.tokens_in, call.tokens_out, call.status, call.attempt) == (
        3,
        result.tokens_in,
        result.tokens_out,
        "ok",
        1,
    )


def test_request_carries_prompt_posts_and_strict_schema(server: OpenAIServer) -> None:
    scorer_for(server).score_batch(POSTS)

    body = server.completions()[0].json()
    assert body["model"] == "test-model"
    assert body["max_tokens"] == max_tokens_for(POSTS) == 32 + 16 * 3 + 56 * 4
    system, user = body["messages"]
    assert system["role"] == "system"
    assert system["content"] == load_prompt("v1").text
    assert "# version" not in system["content"]
    assert server.posts_sent(server.completions()[0]) == [
        {"id": "p1", "tickers": ["GME"], "text": "GME to the moon 🚀"},
        {"id": "p2", "tickers": ["TSLA", "NVDA"], "text": "Loading up on puts for TSLA and NVDA"},
        {"id": "p3", "tickers": ["AAPL"], "text": "AAPL earnings are on Thursday"},
    ]
    response_format = body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "sentiment_batch"
    assert response_format["json_schema"]["strict"] is True
    schema = response_format["json_schema"]["schema"]
    assert schema["required"] == ["results"]
    item = schema["properties"]["results"]["items"]
    assert set(item["required"]) == {"id", "tickers"}
    ticker = item["properties"]["tickers"]["items"]
    assert set(ticker["required"]) == {"ticker", "score", "label", "reasoning"}
    assert ticker["properties"]["label"]["enum"] == ["bullish", "bearish", "neutral"]


@pytest.mark.parametrize(
    ("kind", "target"),
    [(srv.DROP_ID, "p2"), (srv.DUPLICATE_ID, "p2"), (srv.BAD_SCORE, "p2")],
)
def test_a_bad_post_is_re_asked_alone_and_then_scored(
    server: OpenAIServer, kind: str, target: str
) -> None:
    server.faults.append(Fault(kind, target))
    result = scorer_for(server).score_batch(POSTS)

    requests = server.completions()
    assert len(requests) == 2
    assert [p["id"] for p in server.posts_sent(requests[1])] == [target]
    assert by_key(result)[("p2", "TSLA")] == -0.6
    assert len(result.scores) == 4  # the duplicate did not add a second score
    assert result.unscored == {}
    assert result.calls == 2


@pytest.mark.parametrize("kind", [srv.INVALID_JSON, srv.LENGTH, srv.HTTP_400])
def test_a_broken_answer_re_asks_every_post_in_halves(server: OpenAIServer, kind: str) -> None:
    server.faults.append(Fault(kind))
    result = scorer_for(server).score_batch(POSTS)

    requests = server.completions()
    sent = [[p["id"] for p in server.posts_sent(r)] for r in requests]
    assert sent[0] == ["p1", "p2", "p3"]
    assert sorted(sent[1:]) == [["p1", "p2"], ["p3"]]
    assert len(result.scores) == 4
    assert result.unscored == {}
    assert result.calls == 3


@pytest.mark.parametrize(
    ("faults", "reason"),
    [
        ([Fault(srv.DROP_ID, "p2")] * 2, "id missing from response"),
        ([Fault(srv.DUPLICATE_ID, "p2")] * 2, "id returned more than once"),
        ([Fault(srv.BAD_SCORE, "p2")] * 2, "out of range"),
        ([Fault(srv.INVALID_JSON), Fault(srv.HTTP_400)], "rejected (400)"),
        ([Fault(srv.LENGTH), Fault(srv.LENGTH)], "cut off (finish_reason=length)"),
    ],
)
def test_a_post_that_fails_twice_is_unscored_with_the_reason(
    server: OpenAIServer, faults: list[Fault], reason: str
) -> None:
    server.faults.extend(faults)
    posts = POSTS[1:2] if faults[0].post_id is None else POSTS
    result = scorer_for(server).score_batch(posts)

    assert list(result.unscored) == ["p2"]
    assert reason in result.unscored["p2"]
    assert "re-asked alone" in result.unscored["p2"]
    assert_no_post_lost(result, posts)


def test_unknown_ids_and_tickers_not_sent_are_ignored(server: OpenAIServer) -> None:
    server.faults.extend([Fault(srv.UNKNOWN_ID), Fault(srv.EXTRA_TICKER, "p1")])
    scorer = scorer_for(server)

    first = scorer.score_batch(POSTS)
    second = scorer.score_batch(POSTS)

    assert len(server.completions()) == 2  # neither needed a re-ask
    for result in (first, second):
        assert len(result.scores) == 4
        assert "never-sent" not in {s.post_id for s in result.scores}
        assert "ZZZZ" not in {s.ticker for s in result.scores}
        assert_no_post_lost(result, POSTS)


def test_a_missing_ticker_is_a_problem_for_the_whole_post(server: OpenAIServer) -> None:
    server.faults.extend([Fault(srv.DROP_TICKER, "p2")] * 2)
    result = scorer_for(server).score_batch(POSTS)

    assert "no result for ticker(s) NVDA" in result.unscored["p2"]
    assert "p2" not in {s.post_id for s in result.scores}  # never half a post
    assert_no_post_lost(result, POSTS)


def test_server_error_is_retried_by_the_client(server: OpenAIServer) -> None:
    server.faults.append(Fault(srv.HTTP_500))
    result = scorer_for(server).score_batch(POSTS)

    assert len(server.completions()) == 2
    assert len(result.scores) == 4
    assert result.calls == 2


def test_rate_limit_honours_retry_after(server: OpenAIServer) -> None:
    server.faults.append(Fault(srv.HTTP_429, retry_after=0.3))
    result = scorer_for(server).score_batch(POSTS)

    first, second = server.completions()
    assert second.at - first.at >= 0.3
    assert len(result.scores) == 4


def test_errors_that_outlast_the_retries_are_raised_when_nothing_got_through(
    server: OpenAIServer,
) -> None:
    server.faults.extend([Fault(srv.HTTP_500)] * 3)
    with pytest.raises(LlmUnavailable, match="2 attempts"):
        scorer_for(server, max_retries=1).score_batch(POSTS)
    assert len(server.completions()) == 2


def test_posts_without_tickers_are_unscored_and_not_sent(server: OpenAIServer) -> None:
    posts = [*POSTS, PostToScore("p4", "no symbols here", ())]
    result = scorer_for(server).score_batch(posts)

    assert result.unscored == {"p4": "no tickers to score"}
    assert "p4" not in {p["id"] for p in server.posts_sent(server.completions()[0])}
    assert_no_post_lost(result, posts)


def test_duplicate_input_ids_are_refused(server: OpenAIServer) -> None:
    with pytest.raises(ValueError, match="more than once"):
        scorer_for(server).score_batch([POSTS[0], POSTS[0]])


def test_prompt_version_comes_from_the_prompt_file() -> None:
    prompt = load_prompt("v1")
    assert prompt.version == "v1"
    assert "trader" in prompt.text
    with pytest.raises(FileNotFoundError):
        load_prompt("v999")
    with pytest.raises(ValueError):
        load_prompt("../v1")


def test_from_connection(server: OpenAIServer) -> None:
    conn = {"host": server.base_url, "password": "test-key", "extra": {"model": "m-1"}}
    scorer = LlmScorer.from_connection(conn)

    assert scorer.version == "m-1@v1"
    assert len(scorer.score_batch(POSTS).scores) == 4
    with pytest.raises(ValueError, match="model"):
        LlmScorer.from_connection({"host": server.base_url, "password": "x", "extra": {}})
