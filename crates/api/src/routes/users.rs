use actix_web::{get, web};
use inbox_domain::users;
use inbox_types::ErrorBody;
use inbox_types::dto::UserListOutput;

use crate::auth::Auth;
use crate::error::ApiResult;
use crate::routes::auth::user_dto;
use crate::state::AppState;

/// The company's active users, for assignment.
#[utoipa::path(
    get, path = "/api/users", tag = "users",
    responses(
        (status = 200, body = UserListOutput),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = []))
)]
#[get("/api/users")]
pub async fn list(auth: Auth, state: web::Data<AppState>) -> ApiResult<web::Json<UserListOutput>> {
    let users = users::list(&state.db, auth.0.company_id).await?;
    Ok(web::Json(UserListOutput { users: users.iter().map(user_dto).collect() }))
}
