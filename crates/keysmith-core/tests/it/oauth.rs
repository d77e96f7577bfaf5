//! OAuth apps and connections against a real vault, with the manual clock: registration, the
//! authorization-code flow with PKCE, refresh rotation, the device flow, revocation, and what
//! verification says of OAuth access tokens. The same flows are driven over HTTP by a real
//! OAuth client library in the server's tests.

use crate::common::APPLICATION;
use crate::team::{user, Team};
use base64::Engine;
use chrono::Duration;
use keysmith_core::oauth::{
    AuthorizationParams, AuthorizationProgress, ConnectionFilter, OAuthApp, OAuthAppSpec,
    OAuthClient, OAuthError, OAuthVerified, TokenPair, MAX_WAITING_PER_APP,
};
use keysmith_core::{Error, GroupSpec, InactiveReason, Role, Vault, Verification};
use sha2::{Digest, Sha256};

const REDIRECT: &str = "https://app.example.com/callback";
const VERIFIER: &str = "a-code-verifier-of-at-least-43-characters-0123456789";

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier))
}

fn spec(name: &str, public: bool) -> OAuthAppSpec {
    OAuthAppSpec {
        name: name.into(),
        description: "Reads the payables ledger".into(),
        redirect_uris: vec![REDIRECT.into(), "http://127.0.0.1:8765/cb".into()],
        public,
        scopes: vec!["payables:read".into(), "payables:write".into()],
        applications: vec![APPLICATION.into()],
    }
}

/// Registers the public "Ledger" app.
fn public_ledger(vault: &mut Vault) -> OAuthApp {
    vault.register_oauth_app(&spec("Ledger", true)).unwrap().app
}

fn params(client_id: &str, scope: Option<&str>) -> AuthorizationParams {
    AuthorizationParams {
        response_type: Some("code".into()),
        client_id: Some(client_id.into()),
        redirect_uri: Some(REDIRECT.into()),
        scope: scope.map(str::to_owned),
        state: Some("xyz".into()),
        code_challenge: Some(challenge(VERIFIER)),
        code_challenge_method: Some("S256".into()),
    }
}

fn oauth_error(error: Error) -> OAuthError {
    match error {
        Error::OAuth(code, _) => code,
        other => panic!("expected an OAuth error, got {other:?}"),
    }
}

fn oauth_active(verification: Verification) -> Box<OAuthVerified> {
    match verification {
        Verification::ActiveOAuth(verified) => verified,
        other => panic!("expected an active OAuth token, got {other:?}"),
    }
}

fn inactive(verification: Verification) -> InactiveReason {
    match verification {
        Verification::Inactive(reason) => reason,
        other => panic!("expected inactive, got {other:?}"),
    }
}

/// A public app, and a code-flow request for it approved in Cleo's name by the account
/// holder, with its code collected: (client, code).
fn approved_code(team: &mut Team, scope: Option<&str>) -> (OAuthClient, String) {
    let app = public_ledger(&mut team.vault);
    let client = team
        .vault
        .authenticate_oauth_client(&app.client_id, None)
        .unwrap();
    let pending = team
        .vault
        .start_oauth_authorization(&params(&app.client_id, scope))
        .unwrap();
    team.vault
        .approve_oauth_request(&pending.user_code, Some(team.member))
        .unwrap();
    let AuthorizationProgress::Approved { code, state, .. } = team
        .vault
        .oauth_authorization_progress(&pending.request_id)
        .unwrap()
    else {
        panic!("approved")
    };
    assert_eq!(state.as_deref(), Some("xyz"));
    (client, code.expose().to_owned())
}

fn exchange(vault: &mut Vault, client: &OAuthClient, code: &str) -> Result<TokenPair, Error> {
    vault.exchange_authorization_code(client, code, Some(REDIRECT), Some(VERIFIER))
}

#[test]
fn apps_are_registered_by_admins_with_a_secret_shown_once_and_checked_fields() {
    let mut team = Team::new();
    let confidential = team
        .vault
        .register_oauth_app(&spec("Ledger", false))
        .unwrap();
    let secret = confidential
        .client_secret
        .expect("a confidential app has a secret");
    assert!(secret.expose().starts_with("ks_ocs_"));
    let client_id = &confidential.app.client_id;
    assert!(client_id.starts_with("ks_id_"));
    assert!(team
        .vault
        .authenticate_oauth_client(client_id, Some(secret.expose()))
        .is_ok());
    for wrong in [None, Some("ks_ocs_wrong"), Some(secret.expose())] {
        let id = if wrong == Some(secret.expose()) {
            "ks_id_other"
        } else {
            client_id
        };
        assert_eq!(
            team.vault
                .authenticate_oauth_client(id, wrong)
                .unwrap_err()
                .code(),
            "invalid_client"
        );
    }
    let public = team
        .vault
        .register_oauth_app(&spec("Dashboard", true))
        .unwrap();
    assert!(public.client_secret.is_none());
    assert_eq!(
        team.vault
            .authenticate_oauth_client(&public.app.client_id, Some(secret.expose()))
            .unwrap_err()
            .code(),
        "invalid_client",
        "a public app has no secret to give"
    );

    let before = team.vault.audit_log(None).unwrap().len();
    let refusals = [
        (
            OAuthAppSpec {
                redirect_uris: vec!["http://app.example.com/cb".into()],
                ..spec("A", true)
            },
            "invalid_redirect_uri",
        ),
        (
            OAuthAppSpec {
                redirect_uris: vec!["https://app.example.com/cb#x".into()],
                ..spec("B", true)
            },
            "invalid_redirect_uri",
        ),
        (
            OAuthAppSpec {
                redirect_uris: vec![],
                ..spec("C", true)
            },
            "invalid_redirect_uri",
        ),
        (
            OAuthAppSpec {
                scopes: vec![],
                ..spec("D", true)
            },
            "invalid_oauth_app",
        ),
        (
            OAuthAppSpec {
                scopes: vec!["nope:read".into()],
                ..spec("E", true)
            },
            "unknown_permission",
        ),
        (
            OAuthAppSpec {
                applications: vec!["Nowhere".into()],
                ..spec("F", true)
            },
            "unknown_application",
        ),
        (spec("Ledger", true), "duplicate_name"),
    ];
    for (bad, code) in refusals {
        assert_eq!(
            team.vault.register_oauth_app(&bad).unwrap_err().code(),
            code
        );
    }
    assert_eq!(
        team.vault.oauth_apps().unwrap().len(),
        2,
        "nothing registered"
    );
    assert_eq!(
        team.vault.audit_log(None).unwrap().len(),
        before,
        "nothing audited"
    );
    assert_eq!(
        team.vault
            .update_oauth_app(public.app.id, &spec("Dashboard", false))
            .unwrap_err()
            .code(),
        "invalid_oauth_app",
        "public is fixed at registration"
    );

    let mut member = team.unlock_as_member();
    assert_eq!(
        member
            .register_oauth_app(&spec("Mine", true))
            .unwrap_err()
            .code(),
        "forbidden"
    );
    let actions: Vec<String> = team
        .vault
        .audit_log(None)
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "oauth_app.registered")
            .count(),
        2
    );
}

#[test]
fn the_code_flow_hands_tokens_to_the_app_that_proves_its_verifier_once() {
    let mut team = Team::new();
    let (client, code) = approved_code(&mut team, Some("payables:read"));

    // Refusals that write nothing: the same code still works afterwards.
    let vault = &mut team.vault;
    let refusals = [
        vault.exchange_authorization_code(
            &client,
            &code,
            Some(REDIRECT),
            Some("x".repeat(43).as_str()),
        ),
        vault.exchange_authorization_code(&client, &code, Some(REDIRECT), None),
        vault.exchange_authorization_code(
            &client,
            &code,
            Some("http://127.0.0.1:8765/cb"),
            Some(VERIFIER),
        ),
        vault.exchange_authorization_code(
            &client,
            "ks_code_unknown",
            Some(REDIRECT),
            Some(VERIFIER),
        ),
    ];
    for refusal in refusals {
        assert_eq!(oauth_error(refusal.unwrap_err()), OAuthError::InvalidGrant);
    }
    let pair = exchange(vault, &client, &code).unwrap();
    assert!(pair.access_token.expose().starts_with("ks_oat_"));
    assert!(pair.refresh_token.expose().starts_with("ks_ort_"));
    assert_eq!(
        (pair.expires_in, pair.scopes.as_slice()),
        (3600, ["payables:read".to_owned()].as_slice())
    );

    let verified = oauth_active(
        vault
            .verify(pair.access_token.expose(), None, None)
            .unwrap(),
    );
    assert_eq!(verified.client_id, client.app().client_id);
    assert_eq!(verified.user_id, team.member);
    assert_eq!(verified.user_name.as_deref(), Some("Cleo Member"));
    assert_eq!(verified.scopes, ["payables:read"]);
    assert_eq!(verified.applications, [APPLICATION]);
    assert_eq!(
        inactive(
            vault
                .verify(pair.access_token.expose(), Some("payables:write"), None)
                .unwrap()
        ),
        InactiveReason::ScopeNotGranted
    );
    assert_eq!(
        inactive(
            vault
                .verify(pair.refresh_token.expose(), None, None)
                .unwrap()
        ),
        InactiveReason::Unknown,
        "a refresh token is not a bearer token for APIs"
    );

    // The code again: refused, and the grant is revoked — its access token with it.
    assert_eq!(
        oauth_error(exchange(vault, &client, &code).unwrap_err()),
        OAuthError::InvalidGrant
    );
    assert_eq!(
        inactive(
            vault
                .verify(pair.access_token.expose(), None, None)
                .unwrap()
        ),
        InactiveReason::Revoked
    );
    let log = vault.audit_log(None).unwrap();
    let last = log.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.actor.as_str()),
        ("oauth_grant.revoked", "Keysmith authorization server")
    );
    assert!(last.details.contains("used twice"));
    for secret in [
        &code,
        pair.access_token.expose(),
        pair.refresh_token.expose(),
    ] {
        assert!(!team
            .fx
            .all_bytes()
            .windows(secret.len())
            .any(|w| w == secret.as_bytes()));
    }
}

#[test]
fn an_authorization_request_is_refused_before_anything_is_written() {
    let mut team = Team::new();
    let app = public_ledger(&mut team.vault);
    let good = params(&app.client_id, None);
    let unknown_client = AuthorizationParams {
        client_id: Some("ks_id_nobody".into()),
        ..good.clone()
    };
    assert_eq!(
        team.vault
            .start_oauth_authorization(&unknown_client)
            .unwrap_err()
            .code(),
        "invalid_client"
    );
    for redirect in [
        None,
        Some("https://app.example.com/callback/"),
        Some("https://evil.example/cb"),
    ] {
        let bad = AuthorizationParams {
            redirect_uri: redirect.map(str::to_owned),
            ..good.clone()
        };
        assert_eq!(
            team.vault
                .start_oauth_authorization(&bad)
                .unwrap_err()
                .code(),
            "invalid_redirect_uri",
            "{redirect:?}"
        );
    }
    let redirected = [
        (
            AuthorizationParams {
                response_type: Some("token".into()),
                ..good.clone()
            },
            OAuthError::UnsupportedResponseType,
        ),
        (
            AuthorizationParams {
                code_challenge: None,
                ..good.clone()
            },
            OAuthError::InvalidRequest,
        ),
        (
            AuthorizationParams {
                code_challenge_method: Some("plain".into()),
                ..good.clone()
            },
            OAuthError::InvalidRequest,
        ),
        (
            AuthorizationParams {
                scope: Some("payables:read admin:write".into()),
                ..good.clone()
            },
            OAuthError::InvalidScope,
        ),
        (
            AuthorizationParams {
                state: Some("s".repeat(1025)),
                ..good.clone()
            },
            OAuthError::InvalidRequest,
        ),
    ];
    for (bad, expected) in redirected {
        assert_eq!(
            oauth_error(team.vault.start_oauth_authorization(&bad).unwrap_err()),
            expected
        );
    }
    team.vault.set_oauth_app_enabled(app.id, false).unwrap();
    assert_eq!(
        oauth_error(team.vault.start_oauth_authorization(&good).unwrap_err()),
        OAuthError::UnauthorizedClient
    );
    assert!(team.vault.pending_oauth_requests().unwrap().is_empty());

    // Accepted: it waits under a user code, then expires undecided after 10 minutes.
    team.vault.set_oauth_app_enabled(app.id, true).unwrap();
    let pending = team.vault.start_oauth_authorization(&good).unwrap();
    assert!(
        regex_like_user_code(&pending.user_code),
        "{}",
        pending.user_code
    );
    let listed = team.vault.pending_oauth_requests().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].user_code.as_str(), listed[0].scopes.len()),
        (pending.user_code.as_str(), 2)
    );
    assert!(matches!(
        team.vault.oauth_authorization_progress(&pending.request_id).unwrap(),
        AuthorizationProgress::Waiting { ref user_code, .. } if *user_code == pending.user_code
    ));
    team.fx.clock.advance(Duration::minutes(10));
    assert!(team.vault.pending_oauth_requests().unwrap().is_empty());
    assert_eq!(
        team.vault
            .approve_oauth_request(&pending.user_code, None)
            .unwrap_err()
            .code(),
        "oauth_request_not_found"
    );
    assert!(matches!(
        team.vault
            .oauth_authorization_progress(&pending.request_id)
            .unwrap(),
        AuthorizationProgress::Denied { expired: true, .. }
    ));
    assert_eq!(
        team.vault
            .oauth_authorization_progress(&pending.request_id)
            .unwrap_err()
            .code(),
        "oauth_request_not_found",
        "answered once, then gone"
    );
}

fn regex_like_user_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    bytes.len() == 9
        && bytes[..4]
            .iter()
            .all(|b| b"BCDFGHJKLMNPQRSTVWXZ".contains(b))
        && bytes[4] == b'-'
        && bytes[5..].iter().all(u8::is_ascii_digit)
}

#[test]
fn a_code_expires_after_sixty_seconds_and_a_denied_request_sends_access_denied() {
    let mut team = Team::new();
    let (client, code) = approved_code(&mut team, None);
    team.fx.clock.advance(Duration::seconds(60));
    assert_eq!(
        oauth_error(exchange(&mut team.vault, &client, &code).unwrap_err()),
        OAuthError::InvalidGrant
    );

    let pending = team
        .vault
        .start_oauth_authorization(&params(&client.app().client_id, None))
        .unwrap();
    team.vault
        .deny_oauth_request(&pending.user_code.to_lowercase())
        .unwrap();
    assert!(matches!(
        team.vault.oauth_authorization_progress(&pending.request_id).unwrap(),
        AuthorizationProgress::Denied { expired: false, ref redirect_uri, .. } if redirect_uri == REDIRECT
    ));
    assert_eq!(
        team.vault.audit_log(None).unwrap().last().unwrap().action,
        "oauth_grant.denied"
    );
}

#[test]
fn refresh_tokens_rotate_and_a_spent_one_used_again_revokes_the_grant() {
    let mut team = Team::new();
    let (client, code) = approved_code(&mut team, None);
    let first = exchange(&mut team.vault, &client, &code).unwrap();
    team.fx.clock.advance(Duration::minutes(30));
    let second = team
        .vault
        .refresh_oauth_token(&client, first.refresh_token.expose(), Some("payables:read"))
        .unwrap();
    assert_eq!(second.scopes, ["payables:read"], "narrowed on request");
    assert_ne!(second.refresh_token.expose(), first.refresh_token.expose());
    assert_eq!(
        oauth_error(
            team.vault
                .refresh_oauth_token(&client, second.refresh_token.expose(), Some("admin:write"))
                .unwrap_err()
        ),
        OAuthError::InvalidScope
    );
    let other = team
        .vault
        .register_oauth_app(&spec("Other", true))
        .unwrap()
        .app;
    let other = team
        .vault
        .authenticate_oauth_client(&other.client_id, None)
        .unwrap();
    assert_eq!(
        oauth_error(
            team.vault
                .refresh_oauth_token(&other, second.refresh_token.expose(), None)
                .unwrap_err()
        ),
        OAuthError::InvalidGrant,
        "another app's refresh token"
    );
    oauth_active(
        team.vault
            .verify(second.access_token.expose(), None, None)
            .unwrap(),
    );

    // The spent first refresh token again: the grant ends, the live pair with it.
    assert_eq!(
        oauth_error(
            team.vault
                .refresh_oauth_token(&client, first.refresh_token.expose(), None)
                .unwrap_err()
        ),
        OAuthError::InvalidGrant
    );
    assert_eq!(
        inactive(
            team.vault
                .verify(second.access_token.expose(), None, None)
                .unwrap()
        ),
        InactiveReason::Revoked
    );
    assert_eq!(
        oauth_error(
            team.vault
                .refresh_oauth_token(&client, second.refresh_token.expose(), None)
                .unwrap_err()
        ),
        OAuthError::InvalidGrant
    );
    assert!(team
        .vault
        .oauth_connections(ConnectionFilter::default())
        .unwrap()
        .is_empty());
}

#[test]
fn the_device_flow_polls_pending_slow_down_then_tokens_or_denied_or_expired() {
    let mut team = Team::new();
    let registered = team.vault.register_oauth_app(&spec("CLI", false)).unwrap();
    let secret = registered.client_secret.unwrap();
    let client = team
        .vault
        .authenticate_oauth_client(&registered.app.client_id, Some(secret.expose()))
        .unwrap();
    let device = team
        .vault
        .start_device_authorization(&client, Some("payables:read"))
        .unwrap();
    assert_eq!((device.expires_in, device.interval), (600, 5));
    let poll =
        |vault: &mut Vault| vault.poll_device_authorization(&client, device.device_code.expose());
    assert_eq!(
        oauth_error(poll(&mut team.vault).unwrap_err()),
        OAuthError::AuthorizationPending
    );
    team.fx.clock.advance(Duration::seconds(2));
    assert_eq!(
        oauth_error(poll(&mut team.vault).unwrap_err()),
        OAuthError::SlowDown
    );
    team.fx.clock.advance(Duration::seconds(9));
    assert_eq!(
        oauth_error(poll(&mut team.vault).unwrap_err()),
        OAuthError::SlowDown,
        "9 s < 10 s"
    );
    team.fx.clock.advance(Duration::seconds(15));
    assert_eq!(
        oauth_error(poll(&mut team.vault).unwrap_err()),
        OAuthError::AuthorizationPending,
        "each slow_down added 5 s: 15 s now suffices"
    );
    let typed = device.user_code.replace('-', " ").to_lowercase();
    let connection = team.vault.approve_oauth_request(&typed, None).unwrap();
    assert_eq!(connection.user_name, "Ada Holder");
    let pair = poll(&mut team.vault).unwrap();
    assert_eq!(pair.scopes, ["payables:read"]);
    assert_eq!(
        oauth_error(poll(&mut team.vault).unwrap_err()),
        OAuthError::InvalidGrant,
        "once"
    );

    let denied = team
        .vault
        .start_device_authorization(&client, None)
        .unwrap();
    team.vault.deny_oauth_request(&denied.user_code).unwrap();
    assert_eq!(
        oauth_error(
            team.vault
                .poll_device_authorization(&client, denied.device_code.expose())
                .unwrap_err()
        ),
        OAuthError::AccessDenied
    );
    let late = team
        .vault
        .start_device_authorization(&client, None)
        .unwrap();
    team.fx.clock.advance(Duration::minutes(10));
    assert_eq!(
        oauth_error(
            team.vault
                .poll_device_authorization(&client, late.device_code.expose())
                .unwrap_err()
        ),
        OAuthError::ExpiredToken
    );
}

#[test]
fn approval_needs_the_right_to_act_for_the_user_and_every_scope_they_hold() {
    let mut team = Team::new();
    let app = public_ledger(&mut team.vault);
    let start = |vault: &mut Vault| {
        vault
            .start_oauth_authorization(&params(&app.client_id, None))
            .unwrap()
            .user_code
    };
    // A user in no group holds neither scope; one without API access holds no grant.
    let outsider = team
        .vault
        .create_user(&user("Dan Outsider", Role::Member, true))
        .unwrap();
    let no_api = team
        .vault
        .create_user(&user("Eve Offline", Role::Member, false))
        .unwrap();
    team.vault
        .update_group(
            team.payables,
            &GroupSpec {
                name: crate::team::name("Payables"),
                permissions: crate::team::perms(&["payables:read", "payables:write"]),
                blocks: vec![],
                blocks_api_access: false,
                members: vec![team.admin, team.member, no_api.id],
            },
        )
        .unwrap();
    let code = start(&mut team.vault);
    let before = team.vault.audit_log(None).unwrap().len();
    assert_eq!(
        team.vault
            .approve_oauth_request(&code, Some(outsider.id))
            .unwrap_err()
            .code(),
        "scope_not_held"
    );
    assert_eq!(
        team.vault
            .approve_oauth_request(&code, Some(no_api.id))
            .unwrap_err()
            .code(),
        "owner_lacks_api_access"
    );
    assert_eq!(
        team.vault.audit_log(None).unwrap().len(),
        before,
        "nothing written"
    );

    let mut member = team.unlock_as_member();
    assert_eq!(
        member
            .approve_oauth_request(&code, Some(team.admin))
            .unwrap_err()
            .code(),
        "forbidden",
        "a member approves only in their own name"
    );
    let connection = member.approve_oauth_request(&code, None).unwrap();
    assert_eq!(
        (connection.user_id, connection.approved_by.as_str()),
        (team.member, "Cleo Member <cleo.member@example.com>")
    );
    assert_eq!(
        member
            .oauth_connections(ConnectionFilter::default())
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        member
            .oauth_connections(ConnectionFilter {
                app: Some(app.id),
                user: None
            })
            .unwrap_err()
            .code(),
        "forbidden"
    );
    drop(member);
    let by_app = team
        .vault
        .oauth_connections(ConnectionFilter {
            app: Some(app.id),
            user: None,
        })
        .unwrap();
    assert_eq!(by_app.len(), 1);
    assert_eq!(by_app[0].scopes, ["payables:read", "payables:write"]);
}

#[test]
fn verification_follows_the_users_permissions_the_app_and_the_grant_as_they_are_now() {
    let mut team = Team::new();
    let (client, code) = approved_code(&mut team, None);
    let pair = exchange(&mut team.vault, &client, &code).unwrap();
    let token = pair.access_token.expose();
    let verified = oauth_active(team.vault.verify(token, None, Some(APPLICATION)).unwrap());
    assert_eq!(verified.scopes, ["payables:read", "payables:write"]);
    assert_eq!(verified.rights.as_str(), "read_write");
    assert_eq!(
        inactive(team.vault.verify(token, None, Some("Elsewhere")).unwrap()),
        InactiveReason::ApplicationNotAllowed
    );

    // Cleo leaves the group: her token keeps no scope she no longer holds.
    team.vault
        .update_group(
            team.payables,
            &GroupSpec {
                name: crate::team::name("Payables"),
                permissions: crate::team::perms(&["payables:read"]),
                blocks: vec![],
                blocks_api_access: false,
                members: vec![team.admin, team.member],
            },
        )
        .unwrap();
    let verified = oauth_active(team.vault.verify(token, None, None).unwrap());
    assert_eq!(
        (verified.scopes.as_slice(), verified.rights.as_str()),
        (["payables:read".to_owned()].as_slice(), "read")
    );

    team.vault
        .set_oauth_app_enabled(client.app().id, false)
        .unwrap();
    assert_eq!(
        inactive(team.vault.verify(token, None, None).unwrap()),
        InactiveReason::Disabled
    );
    assert_eq!(
        oauth_error(
            team.vault
                .refresh_oauth_token(&client, pair.refresh_token.expose(), None)
                .unwrap_err()
        ),
        OAuthError::InvalidGrant,
        "a disabled app's grants hand out nothing"
    );
    team.vault
        .set_oauth_app_enabled(client.app().id, true)
        .unwrap();
    oauth_active(team.vault.verify(token, None, None).unwrap());

    team.fx.clock.advance(Duration::hours(1));
    assert_eq!(
        inactive(team.vault.verify(token, None, None).unwrap()),
        InactiveReason::Expired
    );
}

#[test]
fn revoking_access_in_keysmith_or_by_the_app_stops_its_tokens_at_once() {
    let mut team = Team::new();
    let (client, code) = approved_code(&mut team, None);
    let pair = exchange(&mut team.vault, &client, &code).unwrap();
    let second = team
        .vault
        .refresh_oauth_token(&client, pair.refresh_token.expose(), None)
        .unwrap();

    // RFC 7009: an access token ends alone; unknown and foreign tokens change nothing.
    team.vault
        .revoke_oauth_token(&client, second.access_token.expose())
        .unwrap();
    assert_eq!(
        inactive(
            team.vault
                .verify(second.access_token.expose(), None, None)
                .unwrap()
        ),
        InactiveReason::Unknown
    );
    oauth_active(
        team.vault
            .verify(pair.access_token.expose(), None, None)
            .unwrap(),
    );
    team.vault
        .revoke_oauth_token(&client, "ks_ort_nothing")
        .unwrap();
    let other = team
        .vault
        .register_oauth_app(&spec("Other", true))
        .unwrap()
        .app;
    let other = team
        .vault
        .authenticate_oauth_client(&other.client_id, None)
        .unwrap();
    team.vault
        .revoke_oauth_token(&other, second.refresh_token.expose())
        .unwrap();
    assert_eq!(
        team.vault
            .oauth_connections(ConnectionFilter::default())
            .unwrap()
            .len(),
        1
    );

    // "Revoke access" on Cleo's page.
    let connections = team
        .vault
        .oauth_connections(ConnectionFilter {
            user: Some(team.member),
            app: None,
        })
        .unwrap();
    assert_eq!(connections.len(), 1);
    team.vault
        .revoke_oauth_grant(connections[0].grant_id)
        .unwrap();
    assert_eq!(
        inactive(
            team.vault
                .verify(pair.access_token.expose(), None, None)
                .unwrap()
        ),
        InactiveReason::Revoked
    );
    assert_eq!(
        team.vault
            .revoke_oauth_grant(connections[0].grant_id)
            .unwrap_err()
            .code(),
        "grant_not_found"
    );
    assert!(team
        .vault
        .oauth_connections(ConnectionFilter::default())
        .unwrap()
        .is_empty());

    // The app revokes its refresh token: its grant ends.
    let (_, code) = {
        let pending = team
            .vault
            .start_oauth_authorization(&params(&client.app().client_id, None))
            .unwrap();
        team.vault
            .approve_oauth_request(&pending.user_code, Some(team.member))
            .unwrap();
        match team
            .vault
            .oauth_authorization_progress(&pending.request_id)
            .unwrap()
        {
            AuthorizationProgress::Approved { code, .. } => ((), code.expose().to_owned()),
            other => panic!("{other:?}"),
        }
    };
    let pair = exchange(&mut team.vault, &client, &code).unwrap();
    team.vault
        .revoke_oauth_token(&client, pair.refresh_token.expose())
        .unwrap();
    assert_eq!(
        inactive(
            team.vault
                .verify(pair.access_token.expose(), None, None)
                .unwrap()
        ),
        InactiveReason::Revoked
    );
    assert_eq!(
        team.vault.audit_log(None).unwrap().last().unwrap().actor,
        "OAuth app Ledger"
    );

    // Deleting the app ends everything it had.
    team.vault.delete_oauth_app(client.app().id).unwrap();
    assert_eq!(
        inactive(
            team.vault
                .verify(pair.access_token.expose(), None, None)
                .unwrap()
        ),
        InactiveReason::Unknown
    );
}

#[test]
fn a_connections_last_use_moves_forward_with_its_verified_tokens_and_never_back() {
    let mut team = Team::new();
    let (client, code) = approved_code(&mut team, None);
    exchange(&mut team.vault, &client, &code).unwrap();
    let connection = |vault: &Vault| {
        vault
            .oauth_connections(ConnectionFilter::default())
            .unwrap()
            .remove(0)
    };
    let handed_out = connection(&team.vault).last_used_at.unwrap();
    assert_eq!(
        handed_out,
        team.fx.clock_now(),
        "tokens handed out count as a use"
    );
    let grant = connection(&team.vault).grant_id;
    let mut recorder = team.vault.usage_recorder().unwrap();
    let later = handed_out + Duration::minutes(5);
    recorder.record_grants(&[(grant, later)]).unwrap();
    assert_eq!(connection(&team.vault).last_used_at, Some(later));
    recorder
        .record_grants(&[
            (grant, later - Duration::minutes(1)),
            (keysmith_core::oauth::GrantId(999), later),
        ])
        .unwrap();
    assert_eq!(
        connection(&team.vault).last_used_at,
        Some(later),
        "never back; unknown grants dropped"
    );
}

/// However many callers start them (the local API lets each start 20), at most
/// MAX_WAITING_PER_APP of an app's requests wait at once.
#[test]
fn an_app_keeps_a_bounded_number_of_requests_waiting_so_a_flood_cannot_bury_the_real_ones() {
    let mut team = Team::new();
    let app = public_ledger(&mut team.vault);
    let start = |vault: &mut Vault| vault.start_oauth_authorization(&params(&app.client_id, None));
    let first = start(&mut team.vault).unwrap();
    for _ in 1..MAX_WAITING_PER_APP {
        start(&mut team.vault).unwrap();
    }
    assert_eq!(
        oauth_error(start(&mut team.vault).unwrap_err()),
        OAuthError::TemporarilyUnavailable
    );
    let client = team
        .vault
        .authenticate_oauth_client(&app.client_id, None)
        .unwrap();
    assert_eq!(
        oauth_error(
            team.vault
                .start_device_authorization(&client, None)
                .unwrap_err()
        ),
        OAuthError::TemporarilyUnavailable,
        "the device flow counts too"
    );
    assert_eq!(
        team.vault.pending_oauth_requests().unwrap().len() as i64,
        MAX_WAITING_PER_APP
    );
    team.vault.deny_oauth_request(&first.user_code).unwrap();
    start(&mut team.vault).unwrap();
}

#[test]
fn editing_an_app_changes_where_it_may_return_and_what_it_may_ask_for_next_time() {
    let mut team = Team::new();
    let (client, code) = approved_code(&mut team, None);
    let pair = exchange(&mut team.vault, &client, &code).unwrap();
    let moved = "https://app.example.com/v2/callback";
    let edited = team
        .vault
        .update_oauth_app(
            client.app().id,
            &OAuthAppSpec {
                name: "Ledger v2".into(),
                redirect_uris: vec![moved.into()],
                scopes: vec!["payables:read".into()],
                ..spec("Ledger", true)
            },
        )
        .unwrap();
    assert_eq!(
        (edited.name.as_str(), edited.client_id.as_str()),
        ("Ledger v2", client.app().client_id.as_str()),
        "the client ID stays"
    );
    let old = params(&edited.client_id, None);
    assert_eq!(
        team.vault
            .start_oauth_authorization(&old)
            .unwrap_err()
            .code(),
        "invalid_redirect_uri"
    );
    let asking_write = AuthorizationParams {
        redirect_uri: Some(moved.into()),
        scope: Some("payables:write".into()),
        ..old.clone()
    };
    assert_eq!(
        oauth_error(
            team.vault
                .start_oauth_authorization(&asking_write)
                .unwrap_err()
        ),
        OAuthError::InvalidScope
    );
    let pending = team
        .vault
        .start_oauth_authorization(&AuthorizationParams {
            redirect_uri: Some(moved.into()),
            ..old
        })
        .unwrap();
    assert_eq!(
        team.vault.pending_oauth_requests().unwrap()[0].scopes,
        ["payables:read"],
        "no scope asked for: every scope the app may ask for now"
    );
    drop(pending);
    // A token handed out before carries no scope the app may no longer ask for.
    let verified = oauth_active(
        team.vault
            .verify(pair.access_token.expose(), None, None)
            .unwrap(),
    );
    assert_eq!(verified.scopes, ["payables:read"]);
    assert_eq!(
        team.vault
            .audit_log(None)
            .unwrap()
            .iter()
            .filter(|e| e.action == "oauth_app.updated")
            .count(),
        1
    );
}
