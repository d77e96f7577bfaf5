//! The live OpenAPI document against generated requests: schemathesis (from PyPI, in the venv
//! scripts/setup makes) reads `/v1/openapi.json` from the real server and sends it requests
//! made from the document — valid ones and each way of being invalid — checking every answer
//! against what the document promises: no 5xx, documented status codes, media types, headers
//! and bodies, refusals of invalid data, 405 for undeclared methods.
//!
//! One check is left out: `positive_data_acceptance` expects a schema-valid request to be
//! accepted, but a made-up token, client ID or claim key is schema-valid and refused by
//! design.

use std::process::Command;

use crate::{start, Access};

#[tokio::test(flavor = "multi_thread")]
async fn generated_requests_get_the_answers_the_document_promises() {
    let python = std::env::var_os("KEYSMITH_PYTHON")
        .expect("KEYSMITH_PYTHON must name the venv's Python with schemathesis; run scripts/test");
    let schemathesis = std::path::Path::new(&python).with_file_name("schemathesis");
    let (api, pat, _) = start(Access::Open).await;
    // The personal access token goes in a private config file, not on a command line: with it
    // the routes that take a bearer token are reached beyond their 401.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("schemathesis.toml");
    std::fs::write(
        &config,
        format!(
            "headers = {{ Authorization = \"Bearer {}\" }}\n",
            pat.token.expose()
        ),
    )
    .unwrap();
    let document = format!("{}/v1/openapi.json", api.base);
    let output = tokio::task::spawn_blocking(move || {
        Command::new(schemathesis)
            .arg("--config-file")
            .arg(&config)
            .args(["run", &document])
            .args([
                "--checks",
                "all",
                "--exclude-checks",
                "positive_data_acceptance",
            ])
            // Bounded and repeatable: 30 examples an operation, from a fixed seed.
            .args([
                "--max-examples",
                "30",
                "--seed",
                "20261207",
                "--workers",
                "1",
            ])
            .args(["--request-timeout", "10", "--no-color"])
            .current_dir(dir.path())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("passed"), "{report}");
    api.stop().await;
}
