//! The tenancy model: teams, Woks, principals, roles and actions.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, PrincipalId, TeamId, Timestamp, WokId};

/// The region a Wok is placed in when its creator names none.
pub const DEFAULT_REGION: &str = "ca-central-1";

/// A team: the unit of tenancy. Teams own Woks and principals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// The team's id.
    pub id: TeamId,
    /// The team's display name.
    pub name: String,
    /// When the team was created.
    pub created_at: Timestamp,
}

/// A Wok: one team's private backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wok {
    /// The Wok's id.
    pub id: WokId,
    /// The team that owns the Wok.
    pub team: TeamId,
    /// The Wok's name, unique within its team (DNS-label rules, see [`crate::name`]).
    pub name: String,
    /// Where the Wok runs, e.g. `ca-central-1`.
    pub region: String,
    /// When the Wok was created.
    pub created_at: Timestamp,
}

/// Someone or something that calls the control plane.
///
/// Users, service tokens and AI agents are one type and go through one
/// authorization path; [`PrincipalKind`] is recorded for the audit trail and
/// never consulted by the authorizer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The principal's id.
    pub id: PrincipalId,
    /// The one team this principal belongs to.
    pub team: TeamId,
    /// What kind of caller this is.
    pub kind: PrincipalKind,
    /// What the principal may do in its team.
    pub role: Role,
    /// A display name.
    pub name: String,
    /// When the principal was created.
    pub created_at: Timestamp,
}

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The value's stable text form, as stored and serialised.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self, Error> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(Error::UnknownValue { what: $what }),
                }
            }
        }
    };
}

text_enum!(
    /// What kind of caller a [`Principal`] is.
    PrincipalKind, "principal kind" {
        /// A person.
        User => "user",
        /// A program holding a long-lived service token.
        ServiceToken => "service_token",
        /// An AI agent acting for the team. It gets no special case.
        Agent => "agent",
    }
);

text_enum!(
    /// A principal's role in its team. See [`Role::allows`] for what each may do.
    Role, "role" {
        /// Everything, including managing members.
        Owner => "owner",
        /// Everything on the team's Woks, including deleting them and reading the audit log.
        Admin => "admin",
        /// Day-to-day work: create, change and export Woks, read and write secrets.
        Developer => "developer",
        /// Read Wok metadata only.
        Viewer => "viewer",
    }
);

text_enum!(
    /// Something a principal asks to do.
    Action, "action" {
        /// Read a Wok's metadata and status.
        ReadWok => "read_wok",
        /// Change a Wok's configuration or services.
        WriteWok => "write_wok",
        /// Read one secret value of a Wok.
        ReadSecret => "read_secret",
        /// Create, replace or delete a secret of a Wok.
        WriteSecret => "write_secret",
        /// Export a Wok as Terraform.
        ExportWok => "export_wok",
        /// Delete a Wok.
        DeleteWok => "delete_wok",
        /// Create a Wok in the team (team-scoped).
        CreateWok => "create_wok",
        /// Read the team's audit log (team-scoped).
        ReadAudit => "read_audit",
        /// Add principals, change roles, revoke tokens (team-scoped).
        ManageMembers => "manage_members",
    }
);

impl Role {
    /// The authorization matrix: whether this role may perform `action` in its own team.
    ///
    /// | action           | viewer | developer | admin | owner |
    /// |------------------|:------:|:---------:|:-----:|:-----:|
    /// | `read_wok`       |   ✓    |     ✓     |   ✓   |   ✓   |
    /// | `write_wok`      |        |     ✓     |   ✓   |   ✓   |
    /// | `read_secret`    |        |     ✓     |   ✓   |   ✓   |
    /// | `write_secret`   |        |     ✓     |   ✓   |   ✓   |
    /// | `export_wok`     |        |     ✓     |   ✓   |   ✓   |
    /// | `create_wok`     |        |     ✓     |   ✓   |   ✓   |
    /// | `delete_wok`     |        |           |   ✓   |   ✓   |
    /// | `read_audit`     |        |           |   ✓   |   ✓   |
    /// | `manage_members` |        |           |       |   ✓   |
    ///
    /// Nothing here depends on the principal's kind: an agent with the
    /// developer role may do exactly what a developer may.
    pub const fn allows(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Owner => true,
            Role::Admin => !matches!(action, ManageMembers),
            Role::Developer => matches!(action, ReadWok | WriteWok | ReadSecret | WriteSecret | ExportWok | CreateWok),
            Role::Viewer => matches!(action, ReadWok),
        }
    }
}

impl Action {
    /// Whether the action is about one Wok (checked with
    /// [`Authorizer::authorize`](crate::Authorizer::authorize)) rather than
    /// about the principal's team as a whole.
    pub const fn is_wok_scoped(self) -> bool {
        !matches!(self, Action::CreateWok | Action::ReadAudit | Action::ManageMembers)
    }
}
