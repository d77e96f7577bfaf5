//! The OAuth operations: apps (the account holder's and admins'; others get `forbidden` from
//! the core), the requests waiting for approval, and the grants users made. The flows
//! themselves run on the API.

use keysmith_core::oauth::{
    ConnectionFilter, GrantId, OAuthApp, OAuthAppId, OAuthAppSpec, OAuthConnection, PendingRequest,
};
use keysmith_core::{Secret, UserId};
use serde::{Deserialize, Serialize};

crate::operations! {
    /// Every registered app, by name.
    Watch list_oauth_apps as ListOAuthApps {} -> Vec<OAuthApp> = |vault, _op| vault.oauth_apps();

    /// Registers an app; a confidential app's secret comes back this once.
    Change register_oauth_app as RegisterOAuthApp {
        /// The app.
        spec: OAuthAppSpec,
    } -> RegisteredOAuthApp = |vault, op| {
        let registered = vault.register_oauth_app(&op.spec)?;
        Ok(RegisteredOAuthApp {
            app: registered.app,
            client_secret: registered.client_secret,
        })
    };

    /// Changes an app's name, description, redirect URIs, scopes and applications.
    Change update_oauth_app as UpdateOAuthApp {
        /// Its id.
        id: OAuthAppId,
        /// The app.
        spec: OAuthAppSpec,
    } -> OAuthApp = |vault, op| vault.update_oauth_app(op.id, &op.spec);

    /// Enables or disables an app.
    Change set_oauth_app_enabled as SetOAuthAppEnabled {
        /// Its id.
        id: OAuthAppId,
        /// Whether its tokens verify.
        enabled: bool,
    } -> OAuthApp = |vault, op| vault.set_oauth_app_enabled(op.id, op.enabled);

    /// Deletes an app and every grant it had.
    Change delete_oauth_app as DeleteOAuthApp {
        /// Its id.
        id: OAuthAppId,
    } -> () = |vault, op| vault.delete_oauth_app(op.id);

    /// The requests waiting for a decision, oldest first.
    Watch pending_oauth_requests as PendingOAuthRequests {} -> Vec<PendingRequest> =
        |vault, _op| vault.pending_oauth_requests();

    /// Approves the request with `user_code` in the name of `user` (default: the operator).
    Change approve_oauth_request as ApproveOAuthRequest {
        /// The code the app's page or device shows.
        user_code: String,
        /// In whose name; none: the operator's.
        user: Option<UserId>,
    } -> OAuthConnection = |vault, op| vault.approve_oauth_request(&op.user_code, op.user);

    /// Denies the request with `user_code`.
    Change deny_oauth_request as DenyOAuthRequest {
        /// The code the app's page or device shows.
        user_code: String,
    } -> () = |vault, op| vault.deny_oauth_request(&op.user_code);

    /// The live grants of a user, of an app, or (none given) the operator may see.
    Read oauth_connections as OAuthConnections {
        /// Only this user's.
        user: Option<UserId>,
        /// Only this app's.
        app: Option<OAuthAppId>,
    } -> Vec<OAuthConnection> =
        |vault, op| vault.oauth_connections(ConnectionFilter { user: op.user, app: op.app });

    /// Revokes a grant: every token of it stops at once.
    Change revoke_oauth_grant as RevokeOAuthGrant {
        /// The grant's id.
        grant: GrantId,
    } -> () = |vault, op| vault.revoke_oauth_grant(op.grant);
}

/// A newly registered app, with its client secret shown this once (confidential apps).
#[derive(Debug, Serialize, specta::Type, Deserialize)]
pub struct RegisteredOAuthApp {
    /// The app.
    pub app: OAuthApp,
    /// `ks_ocs_…`; `null` for a public app.
    #[serde(serialize_with = "keysmith_core::secret::serialize_exposed_option")]
    #[specta(type = Option<String>)]
    pub client_secret: Option<Secret>,
}
