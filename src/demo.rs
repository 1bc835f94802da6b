pub async fn load(_db: &sea_orm::DatabaseConnection) -> Result<bool, sea_orm::DbErr> { Ok(false) }
