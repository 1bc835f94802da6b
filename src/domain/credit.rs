//! Image credits.

/// What is known about who made an image and who distributes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credit {
    pub photographer: Option<String>,
    pub agency: Option<String>,
    pub distributor: Option<String>,
    pub license: Option<String>,
}

impl Credit {
    /// Trims every part and treats a blank one as missing; `None` when all are missing.
    pub fn from_parts(
        photographer: Option<String>,
        agency: Option<String>,
        distributor: Option<String>,
        license: Option<String>,
    ) -> Option<Credit> {
        let credit = Credit {
            photographer: clean(photographer),
            agency: clean(agency),
            distributor: clean(distributor),
            license: clean(license),
        };
        (credit != Credit::default()).then_some(credit)
    }

    /// `"Photographer/Agency via Distributor"`, leaving out missing parts, e.g.
    /// `"Wakil Kohsar/AFP via Getty Images"`, `"Wakil Kohsar via Getty Images"` or `"AFP"`.
    ///
    /// An agency that is also the distributor is named once. The licence follows in
    /// brackets, or is the whole line when nothing else is known.
    pub fn credit_line(&self) -> String {
        let photographer = part(&self.photographer);
        let agency = part(&self.agency);
        let distributor =
            part(&self.distributor).filter(|distributor| !agency.is_some_and(|agency| same_name(agency, distributor)));
        let license = part(&self.license);

        let maker = match (photographer, agency) {
            (Some(photographer), Some(agency)) => Some(format!("{photographer}/{agency}")),
            (Some(name), None) | (None, Some(name)) => Some(name.to_owned()),
            (None, None) => None,
        };
        let line = match (maker, distributor) {
            (Some(maker), Some(distributor)) => Some(format!("{maker} via {distributor}")),
            (Some(maker), None) => Some(maker),
            (None, Some(distributor)) => Some(distributor.to_owned()),
            (None, None) => None,
        };
        match (line, license) {
            (Some(line), Some(license)) => format!("{line} ({license})"),
            (Some(line), None) => line,
            (None, Some(license)) => license.to_owned(),
            (None, None) => String::new(),
        }
    }
}

fn clean(value: Option<String>) -> Option<String> {
    value.and_then(|value| {
        let trimmed = value.trim();
        (!trimmed.is_empty()).then(|| trimmed.to_owned())
    })
}

/// A part as shown in a credit line; the fields are public, so they may hold blanks.
fn part(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|value| !value.is_empty())
}

fn same_name(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "Wakil Kohsar";
    const A: &str = "AFP";
    const D: &str = "Getty Images";
    const L: &str = "CC BY 4.0";

    fn credit(p: Option<&str>, a: Option<&str>, d: Option<&str>, l: Option<&str>) -> Credit {
        Credit {
            photographer: p.map(str::to_owned),
            agency: a.map(str::to_owned),
            distributor: d.map(str::to_owned),
            license: l.map(str::to_owned),
        }
    }

    #[test]
    fn every_combination_without_license() {
        let cases = [
            (Some(P), Some(A), Some(D), "Wakil Kohsar/AFP via Getty Images"),
            (Some(P), Some(A), None, "Wakil Kohsar/AFP"),
            (Some(P), None, Some(D), "Wakil Kohsar via Getty Images"),
            (None, Some(A), Some(D), "AFP via Getty Images"),
            (Some(P), None, None, "Wakil Kohsar"),
            (None, Some(A), None, "AFP"),
            (None, None, Some(D), "Getty Images"),
            (None, None, None, ""),
        ];
        for (p, a, d, expected) in cases {
            assert_eq!(credit(p, a, d, None).credit_line(), expected, "{p:?} {a:?} {d:?}");
        }
    }

    #[test]
    fn every_combination_with_license() {
        let cases = [
            (Some(P), Some(A), Some(D), "Wakil Kohsar/AFP via Getty Images (CC BY 4.0)"),
            (Some(P), Some(A), None, "Wakil Kohsar/AFP (CC BY 4.0)"),
            (Some(P), None, Some(D), "Wakil Kohsar via Getty Images (CC BY 4.0)"),
            (None, Some(A), Some(D), "AFP via Getty Images (CC BY 4.0)"),
            (Some(P), None, None, "Wakil Kohsar (CC BY 4.0)"),
            (None, Some(A), None, "AFP (CC BY 4.0)"),
            (None, None, Some(D), "Getty Images (CC BY 4.0)"),
            (None, None, None, "CC BY 4.0"),
        ];
        for (p, a, d, expected) in cases {
            assert_eq!(credit(p, a, d, Some(L)).credit_line(), expected, "{p:?} {a:?} {d:?}");
        }
    }

    #[test]
    fn agency_that_distributes_is_named_once() {
        assert_eq!(credit(Some(P), Some("AFP"), Some("afp"), None).credit_line(), "Wakil Kohsar/AFP");
        assert_eq!(credit(None, Some("Reuters"), Some(" REUTERS "), None).credit_line(), "Reuters");
        assert_eq!(credit(None, Some("AP"), Some("ap"), Some(L)).credit_line(), "AP (CC BY 4.0)");
    }

    #[test]
    fn blank_fields_are_left_out_of_the_line() {
        let credit = credit(Some("  "), Some(" AFP "), Some(""), Some("\t"));
        assert_eq!(credit.credit_line(), "AFP");
    }

    #[test]
    fn from_parts_trims_and_drops_blanks() {
        let credit = Credit::from_parts(
            Some("  Wakil Kohsar ".to_owned()),
            Some(" ".to_owned()),
            Some("Getty Images\n".to_owned()),
            None,
        );
        assert_eq!(
            credit,
            Some(Credit {
                photographer: Some("Wakil Kohsar".to_owned()),
                agency: None,
                distributor: Some("Getty Images".to_owned()),
                license: None,
            })
        );
        assert_eq!(credit.unwrap().credit_line(), "Wakil Kohsar via Getty Images");
    }

    #[test]
    fn from_parts_with_nothing_is_none() {
        assert_eq!(Credit::from_parts(None, None, None, None), None);
        assert_eq!(
            Credit::from_parts(
                Some(String::new()),
                Some("  ".to_owned()),
                Some("\n".to_owned()),
                Some("\t".to_owned())
            ),
            None
        );
    }

    #[test]
    fn from_parts_with_only_a_license() {
        let credit = Credit::from_parts(None, None, None, Some(" CC0 ".to_owned())).unwrap();
        assert_eq!(credit.credit_line(), "CC0");
    }
}
