//! Is this customer already in the program? Normalised names and domains, the keys an index
//! looks them up by, and a similarity score for near-misses ("Acme, Inc." vs "ACME Corp").
use std::collections::BTreeSet;
use unicode_normalization::UnicodeNormalization;

/// Legal-form words dropped from company names wherever they stand alone.
const LEGAL_FORMS: &[&str] = &[
    "inc",
    "incorporated",
    "llc",
    "llp",
    "lp",
    "ltd",
    "limited",
    "corp",
    "corporation",
    "co",
    "company",
    "plc",
    "gmbh",
    "mbh",
    "ag",
    "kg",
    "sa",
    "sas",
    "sarl",
    "srl",
    "spa",
    "bv",
    "nv",
    "oy",
    "oyj",
    "ab",
    "as",
    "asa",
    "aps",
    "pty",
    "pte",
    "kk",
    "sl",
    "sro",
    "zoo",
    "kft",
    "ug",
];

/// Words too common to find a company by.
const STOP_WORDS: &[&str] = &[
    "the",
    "and",
    "of",
    "group",
    "holding",
    "holdings",
    "international",
];

/// A company name reduced to what identifies it: folded to ASCII where possible, lower-case,
/// punctuation as spaces, `&` as "and", legal forms and a leading "the" removed.
pub fn normalize_company(name: &str) -> String {
    let folded: String = name
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase()
        .replace('&', " and ")
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let mut words: Vec<&str> = folded
        .split_whitespace()
        .filter(|w| !LEGAL_FORMS.contains(w))
        .collect();
    if words.len() > 1 && words[0] == "the" {
        words.remove(0);
    }
    words.join(" ")
}

/// Index keys of a normalised name: each distinctive word, and its first four letters so a
/// typo late in a word still finds it.
pub fn name_keys(normalized: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for word in normalized.split_whitespace() {
        if STOP_WORDS.contains(&word) || word.chars().count() < 2 {
            continue;
        }
        keys.insert(word.to_string());
        let prefix: String = word.chars().take(4).collect();
        if prefix.chars().count() == 4 && prefix != word {
            keys.insert(format!("{prefix}*"));
        }
    }
    if keys.is_empty() && !normalized.is_empty() {
        // A name made only of common words still needs a key.
        keys.insert(normalized.replace(' ', ""));
    }
    keys
}

fn trigrams(text: &str) -> BTreeSet<[char; 3]> {
    let padded: Vec<char> = format!("  {text} ").chars().collect();
    padded.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}

/// Dice similarity of two normalised names' trigrams, 0.0 to 1.0.
pub fn similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    let (x, y) = (trigrams(a), trigrams(b));
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let shared = x.intersection(&y).count() as f64;
    2.0 * shared / (x.len() + y.len()) as f64
}

/// Names this similar are treated as the same company.
pub const SAME_COMPANY: f64 = 0.72;

/// The registrable domain of a website, email address or host name, e.g.
/// `https://shop.acme.co.uk/about` → `acme.co.uk`. `None` if it is not a usable domain.
pub fn normalize_domain(input: &str) -> Option<String> {
    let mut host = input.trim().to_lowercase();
    if let Some((_, after)) = host.rsplit_once('@') {
        host = after.to_string();
    }
    if let Some((_, after)) = host.split_once("://") {
        host = after.to_string();
    }
    let without_path = host.split(['/', '?', '#']).next().unwrap_or_default();
    let without_port = match without_path.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => without_path,
    };
    let host = without_port.trim_end_matches('.');
    let valid = !host.is_empty()
        && host.contains('.')
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !valid || host.len() > 253 {
        return None;
    }
    let registrable = psl::domain_str(host)?;
    Some(registrable.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_names_lose_legal_forms_punctuation_and_accents() {
        for (raw, normal) in [
            ("Acme, Inc.", "acme"),
            ("ACME Corp", "acme"),
            ("acme   corporation", "acme"),
            ("The Acme Company Ltd", "acme"),
            ("Müller & Söhne GmbH", "muller and sohne"),
            ("Société Générale S.A.", "societe generale s a"),
            ("Procter & Gamble Co.", "procter and gamble"),
            ("The", "the"),
            ("  ", ""),
            ("北京科技有限公司", "北京科技有限公司"),
        ] {
            assert_eq!(normalize_company(raw), normal, "{raw}");
        }
    }

    #[test]
    fn keys_cover_words_and_prefixes_but_not_stop_words() {
        let keys = name_keys(&normalize_company("Northwind Traders International"));
        assert!(keys.contains("northwind"));
        assert!(keys.contains("nort*"));
        assert!(keys.contains("traders"));
        assert!(!keys.contains("international"));
        let typo = name_keys(&normalize_company("Northwnd Traders"));
        assert!(
            typo.contains("nort*"),
            "a late typo still shares the prefix key"
        );
        assert_eq!(
            name_keys(&normalize_company("The International Group")),
            BTreeSet::from(["internationalgroup".to_string()])
        );
        assert!(name_keys("").is_empty());
    }

    #[test]
    fn similar_names_score_high_and_different_ones_low() {
        let norm = normalize_company;
        assert_eq!(similarity(&norm("Acme Inc"), &norm("ACME Corp.")), 1.0);
        assert!(similarity(&norm("Northwind Traders"), &norm("Northwnd Traders")) >= SAME_COMPANY);
        assert!(similarity(&norm("Contoso Pharmaceuticals"), &norm("Contoso Pharma")) >= 0.6);
        assert!(similarity(&norm("Northwind Traders"), &norm("Southwind Tailors")) < SAME_COMPANY);
        assert!(similarity(&norm("Globex"), &norm("Initech")) < 0.2);
        assert_eq!(similarity("", "acme"), 0.0);
    }

    #[test]
    fn domains_reduce_to_the_registrable_part() {
        for (raw, domain) in [
            ("acme.com", Some("acme.com")),
            ("https://www.Acme.com/about?x=1", Some("acme.com")),
            ("jane.doe@sales.acme.com", Some("acme.com")),
            ("shop.acme.co.uk", Some("acme.co.uk")),
            ("acme.co.uk.", Some("acme.co.uk")),
            ("http://portal.acme.com.au:8443/x", Some("acme.com.au")),
            ("acme.github.io", Some("acme.github.io")),
            ("co.uk", None),
            ("localhost", None),
            ("not a domain", None),
            ("acme..com", None),
            ("", None),
        ] {
            assert_eq!(normalize_domain(raw).as_deref(), domain, "{raw}");
        }
    }
}
