//! Input rules shared by the browser (instant feedback) and the server (the authority).
use serde::{Deserialize, Serialize};

/// A problem with one named form field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// Whether one-line text holds a line break or another control character. Such text is
/// refused on its field: in a plain-text email a line break would let the writer forge
/// lines (a fake link, a fake signature), and in a subject or CSV cell it changes meaning.
pub fn has_control_characters(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// The field error for one-line text with a line break or control character, if any.
pub fn one_line_problem(field: &str, text: &str) -> Option<FieldError> {
    has_control_characters(text)
        .then(|| FieldError::new(field, "Keep this on one line (no line breaks or tabs)."))
}

/// Replaces line breaks and other control characters with spaces: for one-line places
/// (email subjects, log lines) fed with text that was stored before the rule above.
pub fn as_one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

pub const MAX_EMAIL_LEN: usize = 254;
pub const MIN_PASSWORD_LEN: usize = 10;
pub const MAX_PASSWORD_LEN: usize = 512;

/// Trims and lower-cases an email address, or says what is wrong with it.
pub fn normalize_email(raw: &str) -> Result<String, FieldError> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Err(FieldError::new("email", "Enter your email address."));
    }
    if email.len() > MAX_EMAIL_LEN {
        return Err(FieldError::new("email", "That email address is too long."));
    }
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if valid {
        Ok(email)
    } else {
        Err(FieldError::new(
            "email",
            "Enter an email address like name@company.com.",
        ))
    }
}

/// Checks a password typed at sign-in: present and of sane length. Strength rules apply
/// only when a password is set (`check_new_password`).
pub fn check_password_input(password: &str) -> Result<(), FieldError> {
    if password.is_empty() {
        Err(FieldError::new("password", "Enter your password."))
    } else if password.len() > MAX_PASSWORD_LEN {
        Err(FieldError::new("password", "That password is too long."))
    } else {
        Ok(())
    }
}

pub fn check_new_password(password: &str) -> Result<(), FieldError> {
    check_password_input(password)?;
    if password.chars().count() < MIN_PASSWORD_LEN {
        Err(FieldError::new(
            "password",
            format!("Use at least {MIN_PASSWORD_LEN} characters."),
        ))
    } else {
        Ok(())
    }
}

/// Only local paths are accepted as post-login destinations, so a link cannot send a user
/// to another site.
pub fn safe_local_path(raw: &str) -> Option<String> {
    let path = raw.trim();
    let local = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control);
    local.then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_text_refuses_breaks_and_controls() {
        assert!(one_line_problem("title", "Müller Café GmbH").is_none());
        for bad in [
            "a\nb",
            "a\r\nFrom: x",
            "tab\there",
            "nul\0",
            "esc\u{1b}[31m",
            "next\u{85}line",
        ] {
            assert!(one_line_problem("title", bad).is_some(), "{bad:?}");
        }
        assert_eq!(as_one_line("a\r\nb\tc"), "a  b c");
    }

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            normalize_email("  Ana@Example.COM ").unwrap(),
            "ana@example.com"
        );
    }

    #[test]
    fn malformed_emails_name_the_field() {
        for bad in [
            "",
            "   ",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a@b@c.com",
            "ana @example.com",
            "ana@.com",
            "ana@example.",
        ] {
            let error = normalize_email(bad).unwrap_err();
            assert_eq!(error.field, "email", "{bad:?}");
        }
    }

    #[test]
    fn overlong_email_is_refused() {
        let long = format!("{}@example.com", "a".repeat(MAX_EMAIL_LEN));
        assert!(normalize_email(&long)
            .unwrap_err()
            .message
            .contains("too long"));
    }

    #[test]
    fn unicode_emails_are_accepted() {
        assert_eq!(normalize_email("ÅSA@exämple.se").unwrap(), "åsa@exämple.se");
    }

    #[test]
    fn password_input_rules() {
        assert!(check_password_input("").is_err());
        assert!(check_password_input("x").is_ok());
        assert!(check_password_input(&"x".repeat(MAX_PASSWORD_LEN + 1)).is_err());
    }

    #[test]
    fn new_passwords_need_length_counted_in_characters() {
        assert!(check_new_password("short").is_err());
        assert!(
            check_new_password("ééééééééé").is_err(),
            "9 characters, 18 bytes"
        );
        assert!(check_new_password("éééééééééé").is_ok());
    }

    #[test]
    fn only_local_paths_are_safe_destinations() {
        assert_eq!(
            safe_local_path("/partners/3").as_deref(),
            Some("/partners/3")
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil",
            "partners",
            "/a\nb",
            "",
        ] {
            assert_eq!(safe_local_path(bad), None, "{bad:?}");
        }
    }
}
