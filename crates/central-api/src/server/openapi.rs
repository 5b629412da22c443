//! `GET /openapi.json`: an OpenAPI 3.1 document of the whole API, built from the code.
//!
//! The schemas are generated from the contract types themselves (`schemars` derives in
//! `program`, JSON Schema 2020-12 as OpenAPI 3.1 uses), so they cannot drift from what the server
//! sends. The operations are described here; a test checks that every route the router serves
//! has one.

use std::sync::LazyLock;

use axum::Json;
use program::contract::Entity;
use program::contract::{
    AuthServerMetadata, CatalogItem, Customer, Deployment, FeedLine, LedgerEntry, Me,
    MutationBatch, MutationResults, NpsResponse, Partner, Problem, ProgramInfo, Territory,
};
use program::deals::{Deal, TerritoryClaim};
use program::qbr::ActionItem;
use program::quotes::Quote;
use program::CustomerMigration;
use schemars::generate::SchemaSettings;
use serde_json::{json, Value};

use super::feed::{DEFAULT_LIMIT, MAX_LIMIT, NDJSON};
use super::mutations::MAX_BATCH;
use super::oauth::{AUTHORIZE_PATH, TOKEN_PATH};
use super::problem::PROBLEM_JSON;

/// Form bodies (the login form, the token request).
const FORM: &str = "application/x-www-form-urlencoded";

static DOCUMENT: LazyLock<Value> = LazyLock::new(document);

pub(crate) async fn serve() -> Json<Value> {
    Json(DOCUMENT.clone())
}

/// The document.
pub fn document() -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .for_serialize()
        .into_generator();
    let me = generator.subschema_for::<Me>().to_value();
    let program = generator.subschema_for::<ProgramInfo>().to_value();
    let feed_line = generator.subschema_for::<FeedLine>().to_value();
    let batch = generator.subschema_for::<MutationBatch>().to_value();
    let results = generator.subschema_for::<MutationResults>().to_value();
    let problem = generator.subschema_for::<Problem>().to_value();
    let auth_metadata = generator.subschema_for::<AuthServerMetadata>().to_value();
    // What a change's `data` holds, by its `entity`.
    let data_of = |generator: &mut schemars::SchemaGenerator, entity: Entity| {
        match entity {
            Entity::Partner => generator.subschema_for::<Partner>(),
            Entity::Territory => generator.subschema_for::<Territory>(),
            Entity::Customer => generator.subschema_for::<Customer>(),
            Entity::Deployment => generator.subschema_for::<Deployment>(),
            Entity::LedgerEntry => generator.subschema_for::<LedgerEntry>(),
            Entity::NpsResponse => generator.subschema_for::<NpsResponse>(),
            Entity::CatalogItem => generator.subschema_for::<CatalogItem>(),
            Entity::CustomerMigration => generator.subschema_for::<CustomerMigration>(),
            Entity::Deal => generator.subschema_for::<Deal>(),
            Entity::TerritoryClaim => generator.subschema_for::<TerritoryClaim>(),
            Entity::Quote => generator.subschema_for::<Quote>(),
            Entity::ActionItem => generator.subschema_for::<ActionItem>(),
        }
        .to_value()
    };
    let by_entity: Vec<Value> = Entity::ALL
        .into_iter()
        .map(|entity| {
            json!({
                "properties": {
                    "entity": { "const": entity.as_str() },
                    "data": data_of(&mut generator, entity)
                }
            })
        })
        .collect();
    let mut schemas = generator.take_definitions(true);
    // A change's `data` is the row of its `entity` (absent for a delete).
    let change = schemas
        .get_mut("Change")
        .and_then(Value::as_object_mut)
        .expect("the feed's Change schema");
    change.insert("anyOf".into(), Value::Array(by_entity));

    let problem_response = |description: &str| {
        json!({
            "description": description,
            "content": { PROBLEM_JSON: { "schema": problem.clone() } }
        })
    };
    let busy = |description: &str| {
        let mut response = problem_response(description);
        response["headers"] = json!({
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "schema": { "type": "integer", "minimum": 0 }
            }
        });
        response
    };
    let common = |mut responses: Value| {
        responses["401"] = problem_response("No token, or a token the server never issued.");
        responses["408"] = problem_response(
            "The request's body did not arrive, or no answer began, within the server's time.",
        );
        responses["429"] = busy("Too many requests; wait `Retry-After` seconds.");
        responses["503"] = busy("The service is unavailable; back off and try again.");
        responses
    };

    let query = |name: &str, description: &str, schema: Value| {
        json!({ "name": name, "in": "query", "required": true, "description": description,
                "schema": schema })
    };
    let authorize_parameters = json!([
        query("response_type", "`code`.", json!({ "enum": ["code"] })),
        query(
            "client_id",
            "`partner-desk`.",
            json!({ "const": "partner-desk" })
        ),
        query(
            "redirect_uri",
            "`http://127.0.0.1:<port>/…` or `http://[::1]:<port>/…`.",
            json!({ "type": "string", "format": "uri" })
        ),
        query(
            "code_challenge",
            "base64url (no padding) of the SHA-256 of the PKCE verifier.",
            json!({ "type": "string", "pattern": "^[A-Za-z0-9_-]{43}$" })
        ),
        query(
            "code_challenge_method",
            "`S256`.",
            json!({ "enum": ["S256"] })
        ),
        json!({ "name": "state", "in": "query", "required": false,
                "description": "Sent back unchanged with the code or the error.",
                "schema": { "type": "string" } }),
        json!({ "name": "ui_locales", "in": "query", "required": false,
                "description": "The page's language, e.g. `es`; else the browser's.",
                "schema": { "type": "string" } })
    ]);
    let not_a_form = problem_response("The body is not declared as a form.");
    let bad_form = problem_response("The form does not parse (a field twice, say).");

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Partner Desk central API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The partner program's central API: who is asking, the program's \
                policy and catalog, one ordered change feed of every row the caller may see, \
                and an idempotent write path. Errors are RFC 9457 problem details with a \
                stable `code`."
        },
        "security": [{ "bearer": [] }],
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "An API token: \
                    an administrator's, or one issued by signing in (it expires; renew it at \
                    `/oauth/token` with the refresh token)." },
                "signIn": {
                    "type": "oauth2",
                    "description": "Signing in through the browser: authorization code with \
                        PKCE (S256) and a loopback redirect, for the Partner Desk client \
                        (`client_id=partner-desk`, no secret).",
                    "flows": { "authorizationCode": {
                        "authorizationUrl": AUTHORIZE_PATH,
                        "tokenUrl": TOKEN_PATH,
                        "refreshUrl": TOKEN_PATH,
                        "scopes": {}
                    } }
                }
            },
            "schemas": schemas
        },
        "paths": {
            "/v1/me": {
                "get": {
                    "operationId": "getMe",
                    "summary": "Who the token belongs to: user, role and partner scope.",
                    "responses": common(json!({
                        "200": {
                            "description": "The caller.",
                            "content": { "application/json": { "schema": me } }
                        }
                    }))
                }
            },
            "/v1/program": {
                "get": {
                    "operationId": "getProgram",
                    "summary": "The program's policy as the server enforces it (tiers, bands, \
                        benefits, progression thresholds, FX rates), and the catalog.",
                    "responses": common(json!({
                        "200": {
                            "description": "The policy and the catalog.",
                            "content": { "application/json": { "schema": program } }
                        }
                    }))
                }
            },
            "/v1/changes": {
                "get": {
                    "operationId": "getChanges",
                    "summary": "One page of the change feed, as NDJSON.",
                    "description": "A header line, the changes after `after` that the caller may \
                        see (in `seq` order, at most `limit`), and a trailer with the next \
                        cursor, whether more follow, and ledger checksums. A page without its \
                        trailer is truncated and must be discarded whole. When nothing visible \
                        is left, `next` is the feed's head. Cursor 0 is a full bootstrap. \
                        Compressed with gzip when the client accepts it.",
                    "parameters": [
                        {
                            "name": "after", "in": "query", "required": false,
                            "description": "The cursor: the `next` of the previous page, or 0.",
                            "schema": { "type": "integer", "format": "int64", "minimum": 0, "maximum": i64::MAX, "default": 0 }
                        },
                        {
                            "name": "limit", "in": "query", "required": false,
                            "description": "The most changes in the page.",
                            "schema": { "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT }
                        }
                    ],
                    "responses": common(json!({
                        "200": {
                            "description": "A page: one JSON `FeedLine` per line.",
                            "content": { NDJSON: { "schema": feed_line } }
                        },
                        "304": { "description": "Nothing new after the cursor." },
                        "400": problem_response("`after` or `limit` is not valid."),
                        "410": problem_response("The cursor is older than the feed's horizon (or \
                            ahead of its head): sync again from 0, keeping the outbox (`cursor_too_old`).")
                    }))
                }
            },
            "/v1/mutations": {
                "post": {
                    "operationId": "postMutations",
                    "summary": "Apply a batch of mutations; each is decided on its own.",
                    "description": "Each mutation id is applied at most once: an id seen before \
                        answers its first outcome and does nothing. A repeated `Idempotency-Key` \
                        with the same body answers the stored response. Results come in the \
                        batch's order.",
                    "parameters": [{
                        "name": "Idempotency-Key", "in": "header", "required": true,
                        "description": "Unique per batch; reuse it only to resend the same batch.",
                        "schema": { "type": "string", "minLength": 1, "maxLength": 255 }
                    }],
                    "requestBody": {
                        "required": true,
                        "description": format!("At most {MAX_BATCH} mutations."),
                        "content": { "application/json": { "schema": batch } }
                    },
                    "responses": common(json!({
                        "200": {
                            "description": "One result per mutation, in order.",
                            "content": { "application/json": { "schema": results } }
                        },
                        "400": problem_response("No Idempotency-Key, or a body that is not a batch."),
                        "413": problem_response("The body is larger than the server takes (2 MiB by default)."),
                        "415": problem_response("The body is not declared as `application/json`."),
                        "422": problem_response("The Idempotency-Key was used for a different batch.")
                    }))
                }
            },
            "/.well-known/oauth-authorization-server": {
                "get": {
                    "operationId": "getAuthServerMetadata",
                    "summary": "Where to sign in (RFC 8414): the authorization and token \
                        endpoints, as absolute URLs on the host the client reached.",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The metadata.",
                            "content": { "application/json": { "schema": auth_metadata } }
                        }
                    }
                }
            },
            AUTHORIZE_PATH: {
                "get": {
                    "operationId": "getAuthorize",
                    "summary": "The login page (HTML), opened in the system browser.",
                    "description": "`client_id` must be `partner-desk` and `redirect_uri` an \
                        `http` loopback IP literal with a port (RFC 8252); otherwise the page \
                        says so and sends nobody anywhere. Any other fault goes back to the \
                        redirect as `error` and `error_description`.",
                    "security": [],
                    "parameters": authorize_parameters.clone(),
                    "responses": {
                        "200": { "description": "The login page.", "content": { "text/html": {} } },
                        "303": { "description": "A request fault, back to the redirect as `error`." },
                        "400": {
                            "description": "A wrong client or redirect, said on the page; or a \
                                query that does not parse (a parameter twice, say).",
                            "content": {
                                "text/html": {},
                                PROBLEM_JSON: { "schema": problem.clone() }
                            }
                        }
                    }
                },
                "post": {
                    "operationId": "postAuthorize",
                    "summary": "The login form: `login`, `password` and `decision` (`allow` or \
                        `deny`), with the request's parameters.",
                    "security": [],
                    "requestBody": {
                        "required": true,
                        "content": { FORM: { "schema": {
                            "type": "object",
                            "required": ["login", "decision", "client_id", "redirect_uri"],
                            "properties": {
                                "login": { "type": "string" },
                                "password": { "type": "string", "format": "password" },
                                "decision": { "enum": ["allow", "deny"] }
                            }
                        } } }
                    },
                    "responses": {
                        "200": { "description": "The login page again: the login and password do not match.", "content": { "text/html": {} } },
                        "303": { "description": "Back to the redirect with `code` (a minute, once) and `state`; or with `error=access_denied`." },
                        "400": { "description": "A wrong client or redirect, said on the page.", "content": { "text/html": {} } },
                        "415": not_a_form.clone(),
                        "422": bad_form.clone()
                    }
                }
            },
            TOKEN_PATH: {
                "post": {
                    "operationId": "postToken",
                    "summary": "Trade a code (with its PKCE verifier) or a refresh token for an \
                        access token of an hour and a new refresh token; the old refresh token \
                        stops working.",
                    "security": [],
                    "requestBody": {
                        "required": true,
                        "content": { FORM: { "schema": {
                            "type": "object",
                            "required": ["grant_type", "client_id"],
                            "properties": {
                                "grant_type": { "enum": ["authorization_code", "refresh_token"] },
                                "client_id": { "const": "partner-desk" },
                                "code": { "type": "string" },
                                "redirect_uri": { "type": "string", "format": "uri" },
                                "code_verifier": { "type": "string", "minLength": 43, "maxLength": 128 },
                                "refresh_token": { "type": "string" }
                            }
                        } } }
                    },
                    "responses": {
                        "200": {
                            "description": "The tokens (RFC 6749 §5.1).",
                            "content": { "application/json": { "schema": {
                                "type": "object",
                                "required": ["access_token", "token_type", "expires_in", "refresh_token"],
                                "properties": {
                                    "access_token": { "type": "string" },
                                    "token_type": { "const": "Bearer" },
                                    "expires_in": { "type": "integer" },
                                    "refresh_token": { "type": "string" }
                                }
                            } } }
                        },
                        "400": {
                            "description": "Refused (RFC 6749 §5.2): `invalid_request`, \
                                `invalid_client`, `invalid_grant` (a code or refresh token \
                                expired, used, revoked, or a verifier that does not match) or \
                                `unsupported_grant_type`.",
                            "content": { "application/json": { "schema": {
                                "type": "object",
                                "required": ["error"],
                                "properties": {
                                    "error": { "enum": ["invalid_request", "invalid_client", "invalid_grant", "unsupported_grant_type"] },
                                    "error_description": { "type": "string" }
                                }
                            } } }
                        },
                        "415": not_a_form,
                        "422": bad_form
                    }
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document.",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 document.",
                            "content": { "application/json": { "schema": { "type": "object" } } }
                        }
                    }
                }
            }
        }
    })
}
