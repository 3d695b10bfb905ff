//! The one error type every server function returns. Expected failures are typed values the
//! UI can show; internal failures carry no detail to the browser (it is logged instead).
use crate::domain::validation::FieldError;
use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("You do not have access to this page.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("Please correct the highlighted fields.")]
    Validation(Vec<FieldError>),
    #[error("Too many attempts. Try again in {}.", wait_text(*retry_after_secs))]
    RateLimited { retry_after_secs: i64 },
    /// The request clashes with the current state (e.g. saving to a submitted attempt).
    #[error("{0}")]
    Conflict(String),
    /// The request did not come from this site (failed Origin / Sec-Fetch-Site check).
    #[error("This request was refused because it did not come from this site.")]
    CrossSite,
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request never completed (offline, server down, bad response).
    #[error("Could not reach the server. Check your connection and try again.")]
    Network(String),
}

fn wait_text(secs: i64) -> String {
    if secs >= 120 {
        format!("{} minutes", (secs + 59) / 60)
    } else {
        format!("{secs} seconds")
    }
}

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    /// The message for one field, if this is a validation error about it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            AppError::Validation(errors) => errors
                .iter()
                .find(|error| error.field == field)
                .map(|error| error.message.clone()),
            _ => None,
        }
    }

    /// HTTP status for the response that carries this error.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden | AppError::CrossSite => 403,
            AppError::NotFound => 404,
            AppError::Validation(_) => 422,
            AppError::Conflict(_) => 409,
            AppError::RateLimited { .. } => 429,
            AppError::Internal | AppError::Network(_) => 500,
        }
    }
}

impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        AppError::Validation(vec![error])
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // A malformed request body is the caller's mistake, not ours.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => malformed_request(),
            // On the server, a body that does not decode is the caller's mistake too; in the
            // browser it means the reply was cut off, which is a network problem.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(_) => malformed_request(),
            other => AppError::Network(other.to_string()),
        }
    }
}

fn malformed_request() -> AppError {
    AppError::Validation(vec![FieldError::new(
        "form",
        "The form was incomplete. Reload the page and try again.",
    )])
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    #[track_caller]
    fn from(error: sqlx::Error) -> Self {
        let location = std::panic::Location::caller();
        tracing::error!(%error, %location, "database error");
        AppError::Internal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_messages_are_found_by_name() {
        let error = AppError::field("email", "Enter your email address.");
        assert_eq!(
            error.field_message("email").as_deref(),
            Some("Enter your email address.")
        );
        assert_eq!(error.field_message("password"), None);
        assert_eq!(AppError::Forbidden.field_message("email"), None);
    }

    #[test]
    fn user_mistakes_are_never_500() {
        for error in [
            AppError::Unauthenticated,
            AppError::Forbidden,
            AppError::NotFound,
            AppError::field("x", "y"),
            AppError::RateLimited {
                retry_after_secs: 3,
            },
            AppError::CrossSite,
            AppError::Conflict("x".into()),
        ] {
            assert!(error.status_code() < 500, "{error:?}");
        }
        assert_eq!(AppError::Internal.status_code(), 500);
    }

    #[test]
    fn rate_limit_message_reads_naturally() {
        assert_eq!(
            AppError::RateLimited {
                retry_after_secs: 30
            }
            .to_string(),
            "Too many attempts. Try again in 30 seconds."
        );
        assert!(AppError::RateLimited {
            retry_after_secs: 600
        }
        .to_string()
        .contains("10 minutes"));
    }

    #[test]
    fn errors_survive_the_wire() {
        let error = AppError::Validation(vec![FieldError::new("email", "bad")]);
        let bytes = error.ser();
        assert_eq!(AppError::de(bytes), error);
    }

    #[test]
    fn malformed_requests_become_validation_errors() {
        let error = AppError::from_server_fn_error(ServerFnErrorErr::Args("x".into()));
        assert_eq!(error.status_code(), 422);
    }
}
