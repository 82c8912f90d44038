"""One module per DAG task. Task `X` of the `reddit_sentiment` DAG calls `tickerpulse.stages.X.run`.

Stages exchange only small dicts (counts and object-store URLs), which is all that goes into XCom.
"""
