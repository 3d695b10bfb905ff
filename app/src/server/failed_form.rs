//! What a person typed into a form whose plain post failed, kept for the one page load that
//! shows the error, so the form comes back as they left it (a post made before the page's
//! script woke, or with JavaScript off, would otherwise come back empty).
//!
//! The server keeps it in a short-lived HttpOnly cookie in that person's own browser, never
//! in the address (which history and logs keep). Secrets are never kept, and a form too large
//! for a cookie comes back with its errors but without its values.
use base64::Engine;
use serde::{Deserialize, Serialize};

pub const COOKIE: &str = "pp_failed_form";
/// Seconds the values are kept: one round trip to the page that shows the error.
pub const MAX_AGE_SECS: u32 = 300;
/// Room left for the cookie's value within the 4 kB every browser keeps.
const MAX_COOKIE_VALUE: usize = 3800;

/// A failed form: which one (its name, `form_item`) and its fields as posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedForm {
    pub item: String,
    pub fields: Vec<(String, String)>,
}

impl FailedForm {
    /// The posted value of `name`, if this is the form named `item`.
    pub fn value(&self, item: &str, name: &str) -> Option<String> {
        (self.item == item)
            .then(|| {
                self.fields
                    .iter()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value.clone())
            })
            .flatten()
    }

    /// Whether the box `name` = `value` was ticked, if this is the form named `item`.
    pub fn ticked(&self, item: &str, name: &str, value: &str) -> Option<bool> {
        (self.item == item).then(|| self.fields.iter().any(|(k, v)| k == name && v == value))
    }
}

/// Never kept, whatever the form: what could sign someone in.
fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["password", "token", "secret", "credential"]
        .iter()
        .any(|word| name.contains(word))
}

/// The cookie's value for a failed post of `body` (form-encoded) from the form `item`, or
/// `None` when it would not fit.
pub fn encode(item: &str, body: &[u8]) -> Option<String> {
    let fields = form_urlencoded::parse(body)
        .filter(|(key, _)| !is_secret(key))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let form = FailedForm {
        item: item.to_string(),
        fields,
    };
    let json = serde_json::to_vec(&form).ok()?;
    let value = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
    (value.len() <= MAX_COOKIE_VALUE).then_some(value)
}

/// The failed form a cookie value names; `None` for anything else.
pub fn decode(value: &str) -> Option<FailedForm> {
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value)
        .ok()?;
    serde_json::from_slice(&json).ok()
}

/// The `Set-Cookie` value that keeps `value`; `secure` on HTTPS deployments.
pub fn set_cookie(value: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={MAX_AGE_SECS}{secure}")
}

/// The `Set-Cookie` value that forgets it (once shown).
pub fn clear_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_round_trip_without_secrets() {
        let body =
            b"email=nora%40northwind.example&password=hunter2&input%5Bnotes%5D=a+%3Cb%3E%26c";
        let form = decode(&encode("login", body).unwrap()).unwrap();
        assert_eq!(
            form.value("login", "email").as_deref(),
            Some("nora@northwind.example")
        );
        assert_eq!(
            form.value("login", "input[notes]").as_deref(),
            Some("a <b>&c")
        );
        assert_eq!(
            form.value("login", "password"),
            None,
            "secrets are never kept"
        );
        assert_eq!(
            form.value("link", "email"),
            None,
            "only the form that failed"
        );
        assert!(!form.fields.iter().any(|(k, _)| k.contains("password")));
    }

    #[test]
    fn ticks_are_read_per_value() {
        let form = decode(
            &encode(
                "announcement",
                b"form%5Btiers%5D%5B%5D=Gold&form%5Btiers%5D%5B%5D=Silver",
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            form.ticked("announcement", "form[tiers][]", "Gold"),
            Some(true)
        );
        assert_eq!(
            form.ticked("announcement", "form[tiers][]", "Platinum"),
            Some(false)
        );
        assert_eq!(form.ticked("deal", "form[tiers][]", "Gold"), None);
    }

    #[test]
    fn too_much_text_is_not_kept_and_garbage_is_ignored() {
        let long = format!("notes={}", "x".repeat(5000));
        assert_eq!(encode("deal", long.as_bytes()), None);
        assert_eq!(decode("not base64!"), None);
        assert_eq!(
            decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b"[1]")),
            None
        );
    }
}
