//! What the app's API section shows beside the OpenAPI document: copyable examples (curl
//! calls, and the gateway configurations of `docs/gateways/`, the nginx one exactly as the
//! nginx test runs it), and the same document as a Postman collection (v2.1, which Bruno
//! imports too).

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::routes::openapi_json;

/// The nginx configuration the nginx test runs, as shipped in `docs/gateways/`.
const NGINX: &str = include_str!("../../../docs/gateways/nginx.conf");
/// Caddy's forward auth, as shipped in `docs/gateways/`.
const CADDY: &str = include_str!("../../../docs/gateways/Caddyfile");
/// Traefik's forward auth, as shipped in `docs/gateways/`.
const TRAEFIK: &str = include_str!("../../../docs/gateways/traefik.yml");

/// The address the examples name when the API's own is not `127.0.0.1:8700`.
const EXAMPLE_ADDRESS: &str = "127.0.0.1:8700";

/// One copyable example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct Example {
    /// What it does.
    pub title: String,
    /// Its language, for the reader: `shell`, `nginx`, `caddy` or `yaml`.
    pub language: &'static str,
    /// The text to copy.
    pub text: String,
}

/// The examples for an API listening on `address` (`host:port`): curl calls for verification,
/// forward auth, introspection and the client-credentials exchange, then the gateway
/// configurations with `address` in place of the one they were written for.
pub fn examples(address: &str) -> Vec<Example> {
    let base = format!("http://{address}");
    let example = |title: &str, language, text: String| Example {
        title: title.to_owned(),
        language,
        text,
    };
    vec![
        example(
            "Verify a token for a scope",
            "shell",
            format!(
                "curl -s {base}/v1/verify \\\n  -H 'Content-Type: application/json' \\\n  \
                 -d '{{\"token\": \"'\"$TOKEN\"'\", \"scope\": \"payables:read\"}}'"
            ),
        ),
        example(
            "Forward auth, as a gateway asks",
            "shell",
            format!(
                "curl -si '{base}/v1/auth?scope=payables:read' \\\n  \
                 -H \"Authorization: Bearer $TOKEN\""
            ),
        ),
        example(
            "Introspect a token (RFC 7662), with a verifier key",
            "shell",
            format!(
                "curl -s {base}/v1/introspect \\\n  -H \"Authorization: Bearer $VERIFIER_KEY\" \\\n  \
                 --data-urlencode \"token=$TOKEN\""
            ),
        ),
        example(
            "Exchange client credentials for an access token",
            "shell",
            format!(
                "curl -s {base}/v1/oauth/token \\\n  -u \"$KEYSMITH_CLIENT_ID:$KEYSMITH_CLIENT_SECRET\" \\\n  \
                 -d grant_type=client_credentials"
            ),
        ),
        example("nginx (auth_request)", "nginx", NGINX.replace(EXAMPLE_ADDRESS, address)),
        example("Caddy (forward_auth)", "caddy", CADDY.replace(EXAMPLE_ADDRESS, address)),
        example("Traefik (forwardAuth)", "yaml", TRAEFIK.replace(EXAMPLE_ADDRESS, address)),
    ]
}

/// The OpenAPI document as a Postman collection (v2.1) for an API listening on `address`:
/// one request for each route and method, its query and header parameters listed (switched
/// off until filled in), its body sketched from its schema, the address in a `baseUrl`
/// variable.
pub fn postman_collection(address: &str) -> String {
    let document: Value = serde_json::from_str(&openapi_json()).unwrap_or_default();
    let schemas = &document["components"]["schemas"];
    let mut items = Vec::new();
    for (path, operations) in document["paths"].as_object().into_iter().flatten() {
        for (method, operation) in operations.as_object().into_iter().flatten() {
            if METHODS.contains(&method.as_str()) {
                items.push(request_item(path, method, operation, schemas));
            }
        }
    }
    let collection = json!({
        "info": {
            "name": document["info"]["title"],
            "description": document["info"]["description"],
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "item": items,
        "variable": [{ "key": "baseUrl", "value": format!("http://{address}"), "type": "string" }],
    });
    serde_json::to_string_pretty(&collection).unwrap_or_default()
}

/// The HTTP methods an OpenAPI path item names operations by.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One route's request in the collection.
fn request_item(path: &str, method: &str, operation: &Value, schemas: &Value) -> Value {
    let parameters = operation["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let listed = |place: &str| -> Vec<Value> {
        parameters
            .iter()
            .filter(|parameter| parameter["in"] == place)
            .map(|parameter| {
                json!({
                    "key": parameter["name"],
                    "value": "",
                    "description": parameter["description"],
                    "disabled": true,
                })
            })
            .collect()
    };
    // Path templates become Postman's path variables: `{id}` is `:id`.
    let segments: Vec<String> = path
        .split('/')
        .filter(|segment| !segment.is_empty())
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => format!(":{name}"),
                None => segment.to_owned(),
            },
        )
        .collect();
    let variables: Vec<Value> = segments
        .iter()
        .filter_map(|segment| segment.strip_prefix(':'))
        .map(|name| json!({ "key": name, "value": "" }))
        .collect();
    let mut headers = listed("header");
    let mut request = Map::new();
    request.insert("method".into(), json!(method.to_uppercase()));
    if let Some((content_type, body)) = body(operation, schemas) {
        headers.push(json!({ "key": "Content-Type", "value": content_type }));
        request.insert("body".into(), body);
    }
    request.insert("header".into(), json!(headers));
    request.insert(
        "url".into(),
        json!({
            "raw": format!("{{{{baseUrl}}}}/{}", segments.join("/")),
            "host": ["{{baseUrl}}"],
            "path": segments,
            "query": listed("query"),
            "variable": variables,
        }),
    );
    let description: Vec<&str> = [&operation["summary"], &operation["description"]]
        .into_iter()
        .filter_map(Value::as_str)
        .collect();
    if !description.is_empty() {
        request.insert("description".into(), json!(description.join("\n\n")));
    }
    json!({
        "name": format!("{} {path}", method.to_uppercase()),
        "request": request,
    })
}

/// The request body's media type and a Postman body sketched from its schema: JSON as raw
/// text with each property (its example, or an empty value of its type), a form as its
/// fields.
fn body(operation: &Value, schemas: &Value) -> Option<(&'static str, Value)> {
    let content = operation["requestBody"]["content"].as_object()?;
    let (content_type, media) = content.iter().next()?;
    let schema = resolve(&media["schema"], schemas);
    let properties = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if content_type == "application/x-www-form-urlencoded" {
        let fields: Vec<Value> = properties
            .iter()
            .map(|(name, property)| {
                json!({ "key": name, "value": "", "description": property["description"] })
            })
            .collect();
        return Some((
            "application/x-www-form-urlencoded",
            json!({ "mode": "urlencoded", "urlencoded": fields }),
        ));
    }
    let sketch: Map<String, Value> = properties
        .iter()
        .map(|(name, property)| {
            let property = resolve(property, schemas);
            (name.clone(), sketch_value(property))
        })
        .collect();
    Some((
        "application/json",
        json!({
            "mode": "raw",
            "raw": serde_json::to_string_pretty(&sketch).unwrap_or_default(),
            "options": { "raw": { "language": "json" } },
        }),
    ))
}

/// `schema`, or the component it refers to.
fn resolve<'a>(schema: &'a Value, schemas: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            &schemas[name]
        }
        None => schema,
    }
}

/// A property's example, or an empty value of its type.
fn sketch_value(property: &Value) -> Value {
    if let Some(example) = property.get("example") {
        return example.clone();
    }
    let kind = match &property["type"] {
        Value::Array(kinds) => kinds.iter().find(|k| *k != "null").cloned(),
        kind => Some(kind.clone()),
    };
    match kind.as_ref().and_then(Value::as_str) {
        Some("integer" | "number") => json!(0),
        Some("boolean") => json!(false),
        Some("array") => json!([]),
        Some("object") => json!({}),
        _ => json!(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route and method of the document is one request of the collection, its body
    /// sketched; and the collection reads as Postman's v2.1 model.
    #[test]
    fn the_collection_has_a_request_for_every_route() {
        let document: Value = serde_json::from_str(&openapi_json()).unwrap();
        let mut routes: Vec<String> = Vec::new();
        for (path, operations) in document["paths"].as_object().unwrap() {
            for method in operations.as_object().unwrap().keys() {
                routes.push(format!("{} {path}", method.to_uppercase()));
            }
        }
        let text = postman_collection("127.0.0.1:9999");
        let parsed = postman_collection::from_str(&text).unwrap();
        let postman_collection::PostmanCollection::V2_1_0(spec) = parsed else {
            panic!("not a v2.1 collection");
        };
        let mut names: Vec<String> = spec
            .item
            .iter()
            .map(|item| match item {
                postman_collection::v2_1_0::Items::Item(item) => item.name.clone().unwrap(),
                other => panic!("a folder: {other:?}"),
            })
            .collect();
        routes.sort();
        names.sort();
        assert_eq!(names, routes);
        assert!(routes.len() >= 14, "{routes:?}");
        let collection: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(collection["variable"][0]["value"], "http://127.0.0.1:9999");
        let named = |name: &str| {
            collection["item"]
                .as_array()
                .unwrap()
                .iter()
                .find(|item| item["name"] == name)
                .unwrap()
                .clone()
        };
        let verify = named("POST /v1/verify");
        let sketch: Value =
            serde_json::from_str(verify["request"]["body"]["raw"].as_str().unwrap()).unwrap();
        assert_eq!(sketch["as_user"], "cleo@example.com");
        assert!(sketch.get("token").is_some(), "{sketch}");
        let wait = named("GET /v1/oauth/authorize/wait/{id}");
        assert_eq!(wait["request"]["url"]["path"][4], ":id");
    }

    /// The files the UI's collection test reads (with Postman's own `postman-collection`
    /// package): the OpenAPI document and its collection, as this build makes them.
    /// `KEYSMITH_WRITE_FIXTURES=1 cargo test -p keysmith-server --lib` writes them anew.
    #[test]
    fn the_ui_fixtures_are_current() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/fixtures");
        let files = [
            ("openapi.json", openapi_json()),
            (
                "api.postman_collection.json",
                postman_collection(EXAMPLE_ADDRESS),
            ),
        ];
        for (name, text) in files {
            let path = dir.join(name);
            if std::env::var_os("KEYSMITH_WRITE_FIXTURES").is_some() {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &text).unwrap();
            }
            let stored = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                stored == text,
                "ui/src/lib/fixtures/{name} is stale: KEYSMITH_WRITE_FIXTURES=1 cargo test -p keysmith-server --lib"
            );
        }
    }

    /// The gateway examples carry the API's own address, and the nginx one is the file the
    /// nginx test runs.
    #[test]
    fn the_examples_name_the_apis_address() {
        let examples = examples("127.0.0.1:9100");
        assert!(examples.iter().all(|e| !e.text.contains(EXAMPLE_ADDRESS)));
        let nginx = examples.iter().find(|e| e.language == "nginx").unwrap();
        assert_eq!(nginx.text, NGINX.replace(EXAMPLE_ADDRESS, "127.0.0.1:9100"));
        assert!(examples
            .iter()
            .any(|e| e.text.contains("http://127.0.0.1:9100/v1/verify")));
    }
}
