"""Schemathesis hooks for the reference central API's run (see schemathesis.toml).

The change feed answers NDJSON, one `FeedLine` a line, which schemathesis cannot read by itself:
this check reads every line of a page and holds it to the document's `FeedLine` schema (a
change's `data` to its entity's schema among them).
"""

import json

import jsonschema_rs  # schemathesis's own JSON Schema validator
import schemathesis


@schemathesis.check
def feed_lines_match_the_document(ctx, response, case):
    if case.operation.path != "/v1/changes" or response.status_code != 200:
        return None
    document = case.operation.schema.raw_schema
    validator = jsonschema_rs.Draft202012Validator(
        {"$ref": "#/components/schemas/FeedLine", "components": document["components"]}
    )
    lines = [line for line in response.content.split(b"\n") if line.strip()]
    if len(lines) < 2:
        raise AssertionError(f"a page has a header and a trailer; got {len(lines)} lines")
    for number, line in enumerate(lines, start=1):
        errors = list(validator.iter_errors(json.loads(line)))
        if errors:
            raise AssertionError(f"line {number} of the page does not match FeedLine: {errors[0].message}")
    return None
