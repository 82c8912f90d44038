"""One module per task of the `reddit_sentiment` DAG, each with its `run`; the README's task map
says which task calls which (plan_batches -> plan.py).

Stages exchange only small dicts (counts and object-store URLs), which is all that goes into XCom;
`contracts.py` declares each one as a TypedDict.
"""
