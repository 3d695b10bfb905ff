//! Sales regions of customer countries, so a brand-new account lands in the right region of
//! the managers' pipeline without anyone filling it in.

pub const NORTH_AMERICA: &str = "North America";
pub const LATAM: &str = "LATAM";
pub const EMEA: &str = "EMEA";
pub const APAC: &str = "APAC";

/// Country names (and common short forms) by region, lower case, without dots.
const COUNTRIES: &[(&str, &[&str])] = &[
    (
        NORTH_AMERICA,
        &[
            "united states",
            "united states of america",
            "usa",
            "us",
            "america",
            "canada",
        ],
    ),
    (
        LATAM,
        &[
            "mexico",
            "méxico",
            "brazil",
            "brasil",
            "argentina",
            "chile",
            "colombia",
            "peru",
            "perú",
            "uruguay",
            "paraguay",
            "bolivia",
            "ecuador",
            "venezuela",
            "costa rica",
            "panama",
            "panamá",
            "guatemala",
            "dominican republic",
            "puerto rico",
        ],
    ),
    (
        EMEA,
        &[
            "united kingdom",
            "uk",
            "great britain",
            "england",
            "scotland",
            "wales",
            "northern ireland",
            "ireland",
            "germany",
            "deutschland",
            "france",
            "netherlands",
            "the netherlands",
            "holland",
            "belgium",
            "luxembourg",
            "spain",
            "españa",
            "portugal",
            "italy",
            "italia",
            "switzerland",
            "austria",
            "österreich",
            "denmark",
            "sweden",
            "norway",
            "finland",
            "iceland",
            "poland",
            "czech republic",
            "czechia",
            "slovakia",
            "hungary",
            "romania",
            "bulgaria",
            "greece",
            "croatia",
            "slovenia",
            "serbia",
            "estonia",
            "latvia",
            "lithuania",
            "ukraine",
            "turkey",
            "türkiye",
            "israel",
            "united arab emirates",
            "uae",
            "saudi arabia",
            "qatar",
            "kuwait",
            "bahrain",
            "oman",
            "egypt",
            "morocco",
            "tunisia",
            "nigeria",
            "kenya",
            "ghana",
            "south africa",
        ],
    ),
    (
        APAC,
        &[
            "australia",
            "new zealand",
            "japan",
            "china",
            "hong kong",
            "taiwan",
            "south korea",
            "korea",
            "singapore",
            "malaysia",
            "indonesia",
            "thailand",
            "vietnam",
            "viet nam",
            "philippines",
            "india",
            "pakistan",
            "bangladesh",
            "sri lanka",
        ],
    ),
];

/// The sales region of a country as people type it, or `None` when it is not known (the
/// account then shows as unassigned until a manager sets it).
pub fn region_for_country(country: &str) -> Option<&'static str> {
    let wanted = country
        .replace('.', "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    COUNTRIES
        .iter()
        .find(|(_, names)| names.contains(&wanted.as_str()))
        .map(|(region, _)| *region)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_map_to_their_region_however_they_are_typed() {
        for (typed, region) in [
            ("Germany", EMEA),
            ("  germany ", EMEA),
            ("United  Kingdom", EMEA),
            ("UK", EMEA),
            ("USA", NORTH_AMERICA),
            ("U.S.A.", NORTH_AMERICA),
            ("Canada", NORTH_AMERICA),
            ("Brasil", LATAM),
            ("México", LATAM),
            ("Japan", APAC),
            ("New Zealand", APAC),
            ("South Africa", EMEA),
        ] {
            assert_eq!(region_for_country(typed), Some(region), "{typed}");
        }
    }

    #[test]
    fn unknown_countries_have_no_region() {
        assert_eq!(region_for_country("Atlantis"), None);
        assert_eq!(region_for_country(""), None);
    }

    #[test]
    fn no_country_is_in_two_regions() {
        let mut seen = std::collections::HashMap::new();
        for (region, names) in COUNTRIES {
            for name in *names {
                assert_eq!(
                    name.to_lowercase(),
                    *name,
                    "{name} must be stored lower case"
                );
                if let Some(other) = seen.insert(*name, *region) {
                    panic!("{name} is in {other} and {region}");
                }
            }
        }
    }
}
