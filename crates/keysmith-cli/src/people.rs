//! `keysmith people`, `user …`, `group …` and `catalogue …`: the People screen's operations,
//! the same definitions the window calls (`keysmith_ops`). Users and groups are named by id
//! or e-mail address; every rule is the core's.

use std::process::ExitCode;

use keysmith_core::{GroupId, Offboarding, Role, User, UserId};
use keysmith_ops::{self as ops, CatalogueKind};
use serde_json::json;

use crate::args::{CatalogueArg, CatalogueCommand, GroupArgs, GroupCommand, RoleArg, UserCommand};
use crate::door::{Call, Door};
use crate::Failure;

/// `keysmith people`: one line (or one JSON object) per user.
pub fn people(door: &mut Door, as_json: bool) -> Result<ExitCode, Failure> {
    let overview = ops::ShowPeople {}.on(door)?;
    if as_json {
        say!(
            "{}",
            serde_json::to_value(&overview.users).unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let group_name = |id: &GroupId| {
        (overview.groups.iter())
            .find(|group| group.id == *id)
            .map_or_else(|| id.0.to_string(), |group| group.name.clone())
    };
    for user in &overview.users {
        let groups: Vec<_> = user.groups.iter().map(group_name).collect();
        say!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            user.id.0,
            user.name,
            user.email,
            user.role.as_str(),
            if user.has_api_access() {
                "api access"
            } else {
                "no api access"
            },
            groups.join(", "),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `keysmith user …`.
pub fn user(door: &mut Door, command: UserCommand) -> Result<ExitCode, Failure> {
    match command {
        UserCommand::Add(args) => {
            let user = ops::SaveUser {
                id: None,
                name: args.name,
                email: args.email,
                role: role_of(args.role),
                api_access: args.api_access,
            }
            .on(door)?;
            say!("{}", user.id.0);
        }
        UserCommand::Edit { user, changes } => {
            let current = find_user(door, &user)?;
            let user = ops::SaveUser {
                id: Some(current.id),
                name: changes.name.unwrap_or(current.name),
                email: changes.email.unwrap_or(current.email),
                role: changes.role.map_or(current.role, role_of),
                api_access: changes.api_access.unwrap_or(current.api_access),
            }
            .on(door)?;
            say!("edited {} ({})", user.id.0, user.name);
        }
        UserCommand::RevokeAll { user } => {
            let user_id = find_user(door, &user)?.id;
            let revoked = ops::RevokeAllOfUser { user_id }.on(door)?;
            say!("revoked {revoked}");
        }
        UserCommand::Offboard { user, transfer_to } => {
            let users = ops::ShowPeople {}.on(door)?.users;
            let user_id = named_user(&users, &user)?.id;
            let plan = match transfer_to {
                None => Offboarding::RevokeAndDelete,
                Some(to) => Offboarding::TransferTo {
                    to: named_user(&users, &to)?.id,
                },
            };
            let handled = ops::OffboardUser { user_id, plan }.on(door)?;
            say!("offboarded {} ({handled} credentials)", user_id.0);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `keysmith group …`.
pub fn group(door: &mut Door, command: GroupCommand) -> Result<ExitCode, Failure> {
    match command {
        GroupCommand::List { json: as_json } => {
            let groups = ops::ShowPeople {}.on(door)?.groups;
            if as_json {
                say!("{}", serde_json::to_value(&groups).unwrap_or_default());
            }
            for group in groups.iter().filter(|_| !as_json) {
                say!(
                    "{}\t{}\tgrants {}\tblocks {}{}\t{} members",
                    group.id.0,
                    group.name,
                    list_or_none(&group.permissions),
                    list_or_none(&group.blocks),
                    if group.blocks_api_access {
                        " and API access"
                    } else {
                        ""
                    },
                    group.members.len(),
                );
            }
        }
        GroupCommand::Add(args) => {
            let group = save_group(door, None, args)?;
            say!("{}", group.id.0);
        }
        GroupCommand::Edit { id, group } => {
            let group = save_group(door, Some(GroupId(id)), group)?;
            say!("edited {} ({})", group.id.0, group.name);
        }
        GroupCommand::Delete { id } => {
            ops::DeleteGroup { id: GroupId(id) }.on(door)?;
            say!("deleted {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `keysmith catalogue …`.
pub fn catalogue(door: &mut Door, command: CatalogueCommand) -> Result<ExitCode, Failure> {
    match command {
        CatalogueCommand::List { json: as_json } => {
            let overview = ops::ShowPeople {}.on(door)?;
            if as_json {
                let both = json!({
                    "permissions": overview.permissions,
                    "applications": overview.applications,
                });
                say!("{both}");
                return Ok(ExitCode::SUCCESS);
            }
            let catalogues = [
                ("permission", &overview.permissions),
                ("application", &overview.applications),
            ];
            for (kind, entries) in catalogues {
                for entry in entries {
                    say!("{kind}\t{}\t{}", entry.name, entry.description);
                }
            }
        }
        CatalogueCommand::Add {
            catalogue,
            name,
            description,
        } => {
            let catalogue = catalogue_of(catalogue);
            ops::AddCatalogueEntry {
                catalogue,
                name: name.clone(),
                description,
            }
            .on(door)?;
            say!("added {name}");
        }
        CatalogueCommand::Remove { catalogue, name } => {
            let catalogue = catalogue_of(catalogue);
            ops::RemoveCatalogueEntry {
                catalogue,
                name: name.clone(),
            }
            .on(door)?;
            say!("removed {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn save_group(
    door: &mut Door,
    id: Option<GroupId>,
    args: GroupArgs,
) -> Result<keysmith_core::Group, Failure> {
    let users = ops::ShowPeople {}.on(door)?.users;
    let members = (args.members.iter())
        .map(|member| Ok(named_user(&users, member)?.id))
        .collect::<Result<Vec<UserId>, Failure>>()?;
    ops::SaveGroup {
        id,
        name: args.name,
        permissions: args.grants,
        blocks: args.blocks,
        blocks_api_access: args.block_api_access,
        members,
    }
    .on(door)
}

/// The user named by id or e-mail address (case-insensitively), read from the vault.
fn find_user(door: &mut Door, named: &str) -> Result<User, Failure> {
    let users = ops::ShowPeople {}.on(door)?.users;
    named_user(&users, named).cloned()
}

/// The user of `users` named by id or e-mail address (case-insensitively).
pub fn named_user<'a>(users: &'a [User], named: &str) -> Result<&'a User, Failure> {
    let id = named.parse::<i64>().ok();
    users
        .iter()
        .find(|user| Some(user.id.0) == id || user.email.eq_ignore_ascii_case(named))
        .ok_or_else(|| Failure::Usage("user_not_found", format!("no user {named:?}")))
}

fn role_of(role: RoleArg) -> Role {
    match role {
        RoleArg::Admin => Role::Admin,
        RoleArg::Member => Role::Member,
    }
}

fn catalogue_of(catalogue: CatalogueArg) -> CatalogueKind {
    match catalogue {
        CatalogueArg::Permission => CatalogueKind::Permissions,
        CatalogueArg::Application => CatalogueKind::Applications,
    }
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "nothing".to_owned()
    } else {
        names.join(", ")
    }
}
