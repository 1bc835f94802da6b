use entity::article::AccessLevel;
use entity::user::Role;

use super::{Error, Result};

/// Who is asking. Every read and write consults it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Anonymous,
    /// A reader of the publication, with the access their token grants; readers have no
    /// account here and see what anonymous readers see, plus the bodies of their access.
    Reader {
        access: AccessLevel,
    },
    /// A syndication partner: a reader with every access (paywalled bodies whole) who
    /// also gets distribution documents (ninjs) of published articles still under
    /// embargo, to hold until it lifts. No account, and no writes.
    Partner,
    User {
        id: i64,
        role: Role,
    },
}

impl Viewer {
    pub fn user_id(&self) -> Option<i64> {
        match self {
            Viewer::Anonymous | Viewer::Reader { .. } | Viewer::Partner => None,
            Viewer::User { id, .. } => Some(*id),
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Viewer::Anonymous | Viewer::Reader { .. } | Viewer::Partner => None,
            Viewer::User { role, .. } => Some(*role),
        }
    }

    /// Whether the viewer may read the whole body of an article of `access`: staff and
    /// partners any, readers up to their access, anonymous callers free ones.
    pub fn may_read(&self, access: AccessLevel) -> bool {
        match self {
            Viewer::User { .. } | Viewer::Partner => true,
            Viewer::Reader { access: own } => *own >= access,
            Viewer::Anonymous => access == AccessLevel::Free,
        }
    }

    /// Contributors and up: signed-in staff.
    pub fn is_staff(&self) -> bool {
        self.role().is_some()
    }

    /// Editors and admins see and edit everything.
    pub fn is_editor(&self) -> bool {
        self.role() >= Some(Role::Editor)
    }

    pub fn is_admin(&self) -> bool {
        self.role() == Some(Role::Admin)
    }

    /// Refuses a viewer below `role`: anonymous callers as unauthenticated, staff of a
    /// lower role as forbidden. `what` completes "only editors and up may ...".
    pub fn require(&self, role: Role, what: &str) -> Result<()> {
        match self.role() {
            None if matches!(self, Viewer::Reader { .. }) => {
                Err(Error::Forbidden(format!("readers may not {what}; sign in as staff")))
            }
            None if matches!(self, Viewer::Partner) => {
                Err(Error::Forbidden(format!("partners may not {what}; sign in as staff")))
            }
            None => Err(Error::Unauthenticated(format!("sign in to {what}"))),
            Some(own) if own < role => {
                let who = match role {
                    Role::Contributor => "contributors and up",
                    Role::Editor => "editors and admins",
                    Role::Admin => "admins",
                };
                Err(Error::Forbidden(format!("only {who} may {what}")))
            }
            Some(_) => Ok(()),
        }
    }
}
