use async_graphql::{Context, Object, Result};

use super::error::GqlResult;
use super::people::{AuthPayload, User};
use crate::auth;

pub struct Mutation;

#[Object]
impl Mutation {
    /// Signs in with email and password; the token goes in `Authorization: Bearer <token>`.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> Result<AuthPayload> {
        let services = super::services(ctx)?;
        let session = auth::login(
            &services.db,
            &services.tokens,
            services.login_ttl,
            &email,
            &password,
        )
        .await
        .gql()?;
        Ok(AuthPayload {
            token: session.token,
            expires_at: session.expires_at.into(),
            user: User(session.user),
        })
    }
}
