//! Level-2 variants (CD/CS/TR within one message): each breaks exactly one condition, stays
//! schema-valid, and is built from a fixture by editing its element tree. Values (dates, codes,
//! amounts) are read from the fixture, so the same builders serve iJw and iWmo.
//!
//! Not reachable with a schema-valid message, so without variants: CS015 and CS025 (the XSD
//! fixes BerichtSubversie to 2 and BerichtVersie to 3) and CS319 (the 323 XSD pattern on
//! DeclaratieNummer is the same rule).
//!
//! CD077 and CD078 have the same condition (Budget and Omvang both given), and so do TR383 and
//! TR101 in the 315 (ReferentieAanbieder is the logical key): those variants expect both codes.

use super::mutate::{node_mut, Variant};
use super::Fixture;
use chrono::{Datelike, Days, Months, NaiveDate};
use ijwmo::message::tree::Element;
use ijwmo::message::write::write;
use ijwmo::schema::MessageDef;
use ijwmo::Standard;

/// Rule codes that no schema-valid message can break (see the module comment).
pub const UNREACHABLE: &[&str] = &["CS015", "CS025", "CS319"];

pub fn variants(fx: &Fixture, def: &MessageDef, out: &mut Vec<Variant>) {
    let mut s = L2 { fx, def, out };
    match fx.kind.number {
        301 => toewijzing(&mut s),
        305 => start(&mut s),
        307 => stop(&mut s),
        315 => vot(&mut s),
        317 => vow(&mut s),
        319 => antwoord(&mut s),
        323 => declaratie(&mut s),
        325 => declaratie_antwoord(&mut s),
        _ => {}
    }
}

// ------------------------------------------------------------------------------------------
// Tree editing by path: `Client/ToegewezenProducten/ToegewezenProduct[2]/Einddatum` below the
// root, `[n]` 1-based (default 1). New elements go where the definition's sequence puts them.
// ------------------------------------------------------------------------------------------

fn parse_seg(seg: &str) -> (&str, usize) {
    match seg.split_once('[') {
        Some((name, rest)) => (name, rest.trim_end_matches(']').parse().expect("index")),
        None => (seg, 1),
    }
}

fn resolve(root: &Element, path: &str) -> Option<Vec<usize>> {
    let mut at = Vec::new();
    let mut e = root;
    for seg in path.split('/') {
        let (name, n) = parse_seg(seg);
        let (i, c) = e
            .children
            .iter()
            .enumerate()
            .filter(|(_, c)| c.name == name)
            .nth(n - 1)?;
        at.push(i);
        e = c;
    }
    Some(at)
}

fn get<'a>(root: &'a Element, path: &str) -> Option<&'a Element> {
    resolve(root, path).map(|at| at.iter().fold(root, |e, &i| &e.children[i]))
}

fn text(root: &Element, path: &str) -> Option<String> {
    get(root, path).and_then(|e| e.text.clone())
}

fn count(root: &Element, path: &str) -> usize {
    let (parent, last) = path.rsplit_once('/').unwrap_or(("", path));
    let p = if parent.is_empty() {
        Some(root)
    } else {
        get(root, parent)
    };
    p.map_or(0, |p| p.children.iter().filter(|c| c.name == last).count())
}

/// A tree under edit with its definition.
pub struct Ed<'a> {
    pub t: Element,
    def: &'a MessageDef,
}

impl Ed<'_> {
    fn has(&self, path: &str) -> bool {
        get(&self.t, path).is_some()
    }

    fn text(&self, path: &str) -> String {
        text(&self.t, path).unwrap_or_else(|| panic!("no text at {path}"))
    }

    fn date(&self, path: &str) -> NaiveDate {
        date(&self.text(path))
    }

    fn num(&self, path: &str) -> i64 {
        self.text(path)
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{path} is no number"))
    }

    fn count(&self, path: &str) -> usize {
        count(&self.t, path)
    }

    fn el_mut(&mut self, path: &str) -> &mut Element {
        let at = resolve(&self.t, path).unwrap_or_else(|| panic!("no element at {path}"));
        node_mut(&mut self.t, &at)
    }

    /// The declaration of the element at `path` (indices ignored).
    fn decl(&self, path: &str) -> usize {
        let names: Vec<&str> = path.split('/').map(|s| parse_seg(s).0).collect();
        self.def
            .lookup(&names)
            .unwrap_or_else(|| panic!("{path} is not declared"))
    }

    /// Makes sure the element at `path` exists (creating it empty in sequence order) and
    /// returns it.
    fn ensure(&mut self, path: &str) -> &mut Element {
        if !self.has(path) {
            let (parent, last) = path.rsplit_once('/').unwrap_or(("", path));
            if !parent.is_empty() && !self.has(parent) {
                self.ensure(parent);
            }
            let (name, _) = parse_seg(last);
            let pdecl = if parent.is_empty() {
                self.def.root()
            } else {
                self.decl(parent)
            };
            let order: Vec<String> = self
                .def
                .element(pdecl)
                .children()
                .iter()
                .map(|c| self.def.element(*c).name.clone())
                .collect();
            let rank = |n: &str| {
                order
                    .iter()
                    .position(|o| o == n)
                    .unwrap_or_else(|| panic!("{n} not in {parent}"))
            };
            let mine = rank(name);
            let basis = self.def.element(self.decl(path)).basis;
            let p = if parent.is_empty() {
                &mut self.t
            } else {
                self.el_mut(parent)
            };
            let at = p
                .children
                .iter()
                .rposition(|c| rank(&c.name) <= mine)
                .map_or(0, |i| i + 1);
            p.children.insert(at, Element::new(name, basis));
        }
        self.el_mut(path)
    }

    fn set(&mut self, path: &str, value: impl Into<String>) {
        self.ensure(path).text = Some(value.into());
    }

    fn set_date(&mut self, path: &str, d: NaiveDate) {
        self.set(path, d.format("%Y-%m-%d").to_string());
    }

    fn remove(&mut self, path: &str) {
        let at = resolve(&self.t, path).unwrap_or_else(|| panic!("nothing to remove at {path}"));
        let (last, parent) = at.split_last().expect("not the root");
        node_mut(&mut self.t, parent).children.remove(*last);
    }

    /// Inserts a copy of the element right after it; returns the copy's path.
    fn dup(&mut self, path: &str) -> String {
        let at = resolve(&self.t, path).unwrap_or_else(|| panic!("nothing to copy at {path}"));
        let (last, parent) = at.split_last().expect("not the root");
        let p = node_mut(&mut self.t, parent);
        let copy = p.children[*last].clone();
        p.children.insert(last + 1, copy);
        let (base, n) = path
            .rsplit_once('/')
            .map_or((None, path), |(b, l)| (Some(b), l));
        let (name, i) = parse_seg(n);
        let copy_path = format!("{name}[{}]", i + 1);
        match base {
            Some(b) => format!("{b}/{copy_path}"),
            None => copy_path,
        }
    }

    /// Removes every `repeated` element (e.g. `A/B`) except the `keep`-th.
    fn keep_only(&mut self, repeated: &str, keep: usize) {
        let total = self.count(repeated);
        for i in (1..=total).rev() {
            if i != keep {
                self.remove(&format!("{repeated}[{i}]"));
            }
        }
    }
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").unwrap_or_else(|_| panic!("bad date {s}"))
}

fn plus(d: NaiveDate, days: u64) -> NaiveDate {
    d.checked_add_days(Days::new(days)).expect("date in range")
}

fn minus(d: NaiveDate, days: u64) -> NaiveDate {
    d.checked_sub_days(Days::new(days)).expect("date in range")
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("day 1")
}

fn last_of_month(d: NaiveDate) -> NaiveDate {
    minus(
        first_of_month(d)
            .checked_add_months(Months::new(1))
            .expect("in range"),
        1,
    )
}

/// Collects the level-2 variants of one fixture.
struct L2<'a> {
    fx: &'a Fixture,
    def: &'a MessageDef,
    out: &'a mut Vec<Variant>,
}

impl L2<'_> {
    fn tree(&self) -> &Element {
        &self.fx.tree
    }
    fn has(&self, path: &str) -> bool {
        get(self.tree(), path).is_some()
    }
    fn text(&self, path: &str) -> Option<String> {
        text(self.tree(), path)
    }
    fn count(&self, path: &str) -> usize {
        count(self.tree(), path)
    }
    fn dagtekening(&self) -> NaiveDate {
        date(
            &self
                .text("Header/BerichtIdentificatie/Dagtekening")
                .expect("Dagtekening"),
        )
    }
    fn ijw(&self) -> bool {
        self.fx.kind.standard == Standard::Ijw
    }

    /// Records a variant expecting `rule` (and the inseparable `also` codes).
    fn push(&mut self, rule: &str, also: &[&str], what: &str, edit: impl FnOnce(&mut Ed)) {
        let mut ed = Ed {
            t: self.fx.tree.clone(),
            def: self.def,
        };
        edit(&mut ed);
        self.out.push(Variant {
            name: format!("{}/{rule}/{what}", self.fx.kind),
            kind: self.fx.kind,
            xml: write(self.def, &ed.t).into_bytes(),
            rule: rule.to_string(),
            also: also.iter().map(|s| s.to_string()).collect(),
            family: rule.to_string(),
        });
    }

    fn one(&mut self, rule: &str, what: &str, edit: impl FnOnce(&mut Ed)) {
        self.push(rule, &[], what, edit);
    }
}

// ------------------------------------------------------------------------------------------
// Shared parts: BSN, birth date, names, contacts, allocation shapes
// ------------------------------------------------------------------------------------------

fn bsn(s: &mut L2, path: &str) {
    let Some(v) = s.text(path) else { return };
    let mut digits: Vec<u8> = v.bytes().collect();
    let last = digits[8];
    digits[8] = if last == b'9' { b'0' } else { last + 1 };
    let changed = String::from_utf8(digits).unwrap();
    s.one("CS002", &format!("{path}={changed}"), |e| {
        e.set(path, changed.clone())
    });
    let swapped: String = {
        let mut d: Vec<char> = v.chars().collect();
        let i = (0..8)
            .find(|&i| d[i] != d[i + 1])
            .expect("two different digits");
        d.swap(i, i + 1);
        d.into_iter().collect()
    };
    s.one("CS002", &format!("{path}={swapped}"), |e| {
        e.set(path, swapped.clone())
    });
}

fn geboortedatum(s: &mut L2, path: &str) {
    if !s.has(path) {
        return;
    }
    let d = date(&s.text(&format!("{path}/Datum")).expect("Datum"));
    let gebruik = s.text(&format!("{path}/DatumGebruik"));
    let datum = format!("{path}/Datum");
    let gebruik_path = format!("{path}/DatumGebruik");
    // CS139: a DatumGebruik that does not fit the date
    let fits = |c: &str| match c {
        "3" => d == NaiveDate::from_ymd_opt(1900, 1, 1).unwrap(),
        "2" => d.month() == 1 && d.day() == 1,
        _ => d.day() == 1,
    };
    if let Some(c) = ["1", "2", "3"]
        .into_iter()
        .find(|c| !fits(c) && gebruik.as_deref() != Some(c))
    {
        s.one("CS139", &format!("{gebruik_path}={c}"), |e| {
            e.set(&gebruik_path, c)
        });
    }
    if gebruik.as_deref() == Some("3") {
        return;
    }
    // TR002: more than 120 years before the Dagtekening (1 January fits every DatumGebruik)
    let old = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
    s.one("TR002", &format!("{datum}=1900-01-01"), |e| {
        e.set_date(&datum, old)
    });
    // TR134: after the Dagtekening
    let later = NaiveDate::from_ymd_opt(s.dagtekening().year() + 1, 1, 1).unwrap();
    s.one("TR134", &format!("{datum}={later}"), |e| {
        e.set_date(&datum, later)
    });
}

fn naam(s: &mut L2, path: &str, client: bool) {
    if !s.has(path) {
        return;
    }
    let partner = s.has(&format!("{path}/Partnernaam"));
    let gebruik = format!("{path}/NaamGebruik");
    let wrong = if partner { "5" } else { "2" };
    s.one("CS050", &format!("{gebruik}={wrong}"), |e| {
        e.set(&gebruik, wrong)
    });
    if client {
        s.one("CS318", &format!("{gebruik}=6"), |e| {
            if partner {
                e.remove(&format!("{path}/Partnernaam"));
            }
            e.set(&gebruik, "6");
        });
    }
}

fn contact(s: &mut L2, path: &str, client: bool) {
    let soort = s.text(&format!("{path}/Soort")).expect("Soort");
    let adres = format!("{path}/Adres");
    let telefoon = s.has(&format!("{path}/Telefoon"));
    let postcode = s.text(&format!("{adres}/Postcode"));
    let land = s.text(&format!("{adres}/LandCode"));
    if postcode.is_some() && land.is_some() {
        s.one("CD005", &format!("{adres}/LandCode-removed"), |e| {
            e.remove(&format!("{adres}/LandCode"))
        });
    }
    if let (Some(pc), Some("NL")) = (postcode.as_deref(), land.as_deref()) {
        let spaced = format!("{} {}", &pc[..4], &pc[4..]);
        s.one("CS089", &format!("{adres}/Postcode={spaced}"), |e| {
            e.set(&format!("{adres}/Postcode"), spaced.clone())
        });
        if s.has(&format!("{adres}/Huis")) && telefoon {
            s.one("CD025", &format!("{adres}/Huis-removed"), |e| {
                e.remove(&format!("{adres}/Huis"))
            });
        }
        if matches!(soort.as_str(), "01" | "03") && telefoon {
            s.one("CD034", &format!("{adres}/Postcode-removed"), |e| {
                e.remove(&format!("{adres}/Postcode"));
                e.remove(&format!("{adres}/LandCode"));
            });
        }
    }
    if soort != "04" && !s.has(&format!("{path}/Periode")) {
        s.one("CD009", &format!("{path}/Periode-added"), |e| {
            e.set(&format!("{path}/Periode/Begindatum"), "2026-01-01")
        });
    }
    // TR006: no phone and no complete address (Soort 02 needs no postcode)
    let client_soorten = if client {
        s.count("Client/Contactgegevens/Contact")
    } else {
        0
    };
    if !client || client_soorten == 1 {
        s.one("TR006", &format!("{path}-without-phone-and-address"), |e| {
            e.set(&format!("{path}/Soort"), "02");
            if e.has(&adres) {
                e.remove(&adres);
            }
            if e.has(&format!("{path}/Telefoon")) {
                e.remove(&format!("{path}/Telefoon"));
            }
        });
    }
}

/// Where one allocation-shaped product keeps its parts (301 ToegewezenProduct, 315
/// AangevraagdProduct, 317 NieuwProduct / TeWijzigenProduct).
#[derive(Clone, Copy)]
struct Shape<'a> {
    repeated: &'a str,
    begin: &'a str,
    einde: &'a str,
    has_product: bool,
    cd080: &'a str,
    cs338: &'a str,
}

fn shape(s: &mut L2, sh: Shape, i: usize) {
    let p = format!("{}[{i}]", sh.repeated);
    let e = |n: &str| format!("{p}/{n}");
    let has_omvang = s.has(&e("Omvang"));
    let has_einde = s.has(&e(sh.einde));
    let has_code = s.has(&e("Product/Code"));
    let freq = s.text(&e("Omvang/Frequentie"));
    if sh.has_product && has_code && has_omvang {
        s.one("CD041", &format!("{p}/Omvang-removed"), |t| {
            t.remove(&e("Omvang"))
        });
    }
    if has_omvang {
        s.push("CD077", &["CD078"], &format!("{p}/Budget-added"), |t| {
            t.set(&e("Budget"), "100000")
        });
        s.one(sh.cs338, &format!("{p}/Omvang=14/1"), |t| {
            t.set(&e("Omvang/Eenheid"), "14");
            t.set(&e("Omvang/Frequentie"), "1");
        });
    }
    if has_einde {
        let begin = date(&s.text(&e(sh.begin)).expect("begin"));
        let before = minus(begin, 1);
        s.one("CS003", &format!("{p}/{}={before}", sh.einde), |t| {
            t.set_date(&e(sh.einde), before)
        });
        if freq.as_deref() == Some("2") {
            s.one("CD076", &format!("{p}/{}-removed", sh.einde), |t| {
                t.keep_only(sh.repeated, i);
                t.remove(&format!("{}/{}", sh.repeated, sh.einde));
            });
        }
    }
    // the rest changes the product itself: keep only this one so no overlap rule joins in
    let only = |t: &mut Ed| t.keep_only(sh.repeated, i);
    let one = sh.repeated.to_string();
    let e1 = move |n: &str| format!("{one}/{n}");
    if has_omvang && (!sh.has_product || has_code) {
        s.one("CD075", &format!("{p}/Budget-without-{}", sh.einde), |t| {
            only(t);
            if t.has(&e1("Product/Code")) {
                t.remove(&e1("Product/Code"));
            }
            t.remove(&e1("Omvang"));
            t.set(&e1("Budget"), "100000");
            if t.has(&e1(sh.einde)) {
                t.remove(&e1(sh.einde));
            }
        });
    }
    if sh.has_product && s.has(&e("Product")) && !s.has(&e("Budget")) {
        s.one("CD079", &format!("{p}/Product-removed"), |t| {
            only(t);
            t.remove(&e1("Product"));
            if t.has(&e1("Omvang")) {
                t.remove(&e1("Omvang"));
            }
        });
        if has_code && has_omvang {
            s.one(sh.cd080, &format!("{p}/Product/Code-removed"), |t| {
                only(t);
                t.remove(&e1("Product/Code"));
            });
        }
    }
}

// ------------------------------------------------------------------------------------------
// Per message
// ------------------------------------------------------------------------------------------

fn toewijzing(s: &mut L2) {
    bsn(s, "Client/Bsn");
    geboortedatum(s, "Client/Geboortedatum");
    naam(s, "Client/Naam", true);
    let relaties = s.count("Client/Relaties/Relatie");
    for r in 1..=relaties {
        let rel = format!("Client/Relaties/Relatie[{r}]");
        geboortedatum(s, &format!("{rel}/Geboortedatum"));
        naam(s, &format!("{rel}/Naam"), false);
        contact(s, &format!("{rel}/Contact"), false);
    }
    if relaties > 0 {
        s.one("TR101", "Client/Relaties/Relatie[1]-twice", |t| {
            t.dup("Client/Relaties/Relatie[1]");
        });
    }
    // communication
    match s.text("Client/Communicatie/Vorm").as_deref() {
        Some("1") if s.has("Client/Communicatie/Taal") => {
            s.one("CD007", "Client/Communicatie/Taal-removed", |t| {
                t.remove("Client/Communicatie/Taal")
            });
            s.one("CD007", "Client/Communicatie/Vorm=2", |t| {
                t.set("Client/Communicatie/Vorm", "2")
            });
        }
        Some(_) => {}
        None => {
            s.one("CD007", "Client/Communicatie=1-without-Taal", |t| {
                t.set("Client/Communicatie/Vorm", "1")
            });
            s.one("CD007", "Client/Communicatie=2-with-Taal", |t| {
                t.set("Client/Communicatie/Vorm", "2");
                t.set("Client/Communicatie/Taal", "Pools");
            });
        }
    }
    let contacts = s.count("Client/Contactgegevens/Contact");
    for c in 1..=contacts {
        contact(s, &format!("Client/Contactgegevens/Contact[{c}]"), true);
    }
    if contacts == 1 {
        s.one("TR061", "Client/Contactgegevens/Contact/Soort=04", |t| {
            t.set("Client/Contactgegevens/Contact/Soort", "04")
        });
    }
    s.one("TR101", "Client/Contactgegevens/Contact[1]-twice", |t| {
        t.dup("Client/Contactgegevens/Contact[1]");
    });
    // allocations
    let tp = "Client/ToegewezenProducten/ToegewezenProduct";
    let sh = Shape {
        repeated: tp,
        begin: "Ingangsdatum",
        einde: "Einddatum",
        has_product: true,
        cd080: "CD080",
        cs338: "CS338",
    };
    let n = s.count(tp);
    let dag = s.dagtekening();
    for i in 1..=n {
        shape(s, sh, i);
        let p = format!("{tp}[{i}]");
        let ingang = s.text(&format!("{p}/Ingangsdatum"));
        if s.text(&format!("{p}/Einddatum")) != ingang && !s.has(&format!("{p}/RedenWijziging")) {
            s.one("CS335", &format!("{p}/RedenWijziging=13"), |t| {
                t.set(&format!("{p}/RedenWijziging"), "13")
            });
        }
        s.one("CS336", &format!("{p}/RedenWijziging=01"), |t| {
            t.set(&format!("{p}/RedenWijziging"), "01")
        });
        let later = plus(dag, 1);
        s.one("TR134", &format!("{p}/Toewijzingsdatum={later}"), |t| {
            t.set_date(&format!("{p}/Toewijzingsdatum"), later)
        });
    }
    if n >= 2 && s.has(&format!("{tp}[1]/Product/Code")) && s.has(&format!("{tp}[2]/Product")) {
        s.one("TR302", &format!("{tp}[2]/Product=product-of-[1]"), |t| {
            let cat = t.text(&format!("{tp}[1]/Product/Categorie"));
            let code = t.text(&format!("{tp}[1]/Product/Code"));
            t.set(&format!("{tp}[2]/Product/Categorie"), cat);
            t.set(&format!("{tp}[2]/Product/Code"), code);
            for d in ["Ingangsdatum", "Einddatum"] {
                let v = t.text(&format!("{tp}[1]/{d}"));
                t.set(&format!("{tp}[2]/{d}"), v);
            }
        });
    }
    // TR101: the same ToewijzingNummer twice, for a later period (so TR302 stays quiet)
    if s.has(&format!("{tp}[1]/Einddatum")) {
        s.one("TR101", &format!("{tp}[1]-twice"), |t| {
            let copy = t.dup(&format!("{tp}[1]"));
            let end = t.date(&format!("{tp}[1]/Einddatum"));
            t.set_date(&format!("{copy}/Ingangsdatum"), plus(end, 1));
            t.set_date(&format!("{copy}/Einddatum"), plus(end, 90));
        });
    }
}

fn start(s: &mut L2) {
    bsn(s, "Client/Bsn");
    geboortedatum(s, "Client/Geboortedatum");
    let sp = "Client/StartProducten/StartProduct";
    let dag = s.dagtekening();
    for i in 1..=s.count(sp) {
        let p = format!("{sp}[{i}]");
        for status in ["2", "9"] {
            s.one("CS058", &format!("{p}/StatusAanlevering={status}"), |t| {
                t.set(&format!("{p}/StatusAanlevering"), status)
            });
        }
        let later = plus(dag, 1);
        s.one("TR134", &format!("{p}/Begindatum={later}"), |t| {
            t.set_date(&format!("{p}/Begindatum"), later)
        });
    }
    s.one("TR101", &format!("{sp}[1]-twice"), |t| {
        t.dup(&format!("{sp}[1]"));
    });
}

fn stop(s: &mut L2) {
    bsn(s, "Client/Bsn");
    geboortedatum(s, "Client/Geboortedatum");
    let sp = "Client/StopProducten/StopProduct";
    let dag = s.dagtekening();
    for i in 1..=s.count(sp) {
        let p = format!("{sp}[{i}]");
        for status in ["2", "9"] {
            s.one("CS058", &format!("{p}/StatusAanlevering={status}"), |t| {
                t.set(&format!("{p}/StatusAanlevering"), status)
            });
        }
        let begin = date(&s.text(&format!("{p}/Begindatum")).unwrap());
        let before = minus(begin, 1);
        s.one("TR018", &format!("{p}/Einddatum={before}"), |t| {
            t.set_date(&format!("{p}/Einddatum"), before)
        });
        s.one("TR134", &format!("{p}/Einddatum={}", plus(dag, 1)), |t| {
            t.set_date(&format!("{p}/Einddatum"), plus(dag, 1))
        });
        s.one(
            "TR134",
            &format!("{p}/Begindatum+Einddatum-after-{dag}"),
            |t| {
                t.set_date(&format!("{p}/Begindatum"), plus(dag, 1));
                t.set_date(&format!("{p}/Einddatum"), plus(dag, 2));
            },
        );
    }
    s.one("TR101", &format!("{sp}[1]-twice"), |t| {
        t.dup(&format!("{sp}[1]"));
    });
}

fn vot(s: &mut L2) {
    bsn(s, "Client/Bsn");
    geboortedatum(s, "Client/Geboortedatum");
    let ap = "Client/AangevraagdeProducten/AangevraagdProduct";
    let sh = Shape {
        repeated: ap,
        begin: "ToewijzingIngangsdatum",
        einde: "ToewijzingEinddatum",
        has_product: true,
        cd080: "CD095",
        cs338: "CS343",
    };
    let n = s.count(ap);
    for i in 1..=n {
        shape(s, sh, i);
        let p = format!("{ap}[{i}]");
        let nummer = s.has(&format!("{p}/BeschikkingNummer"));
        let ingang = s.has(&format!("{p}/BeschikkingIngangsdatum"));
        match (nummer, ingang) {
            (true, true) => {
                s.one(
                    "CD043",
                    &format!("{p}/BeschikkingIngangsdatum-removed"),
                    |t| t.remove(&format!("{p}/BeschikkingIngangsdatum")),
                );
                s.one("CD043", &format!("{p}/BeschikkingNummer-removed"), |t| {
                    t.remove(&format!("{p}/BeschikkingNummer"))
                });
            }
            (false, false) => {
                s.one("CD043", &format!("{p}/BeschikkingNummer-added"), |t| {
                    t.set(&format!("{p}/BeschikkingNummer"), "26000001")
                });
                s.one(
                    "CD043",
                    &format!("{p}/BeschikkingIngangsdatum-added"),
                    |t| t.set(&format!("{p}/BeschikkingIngangsdatum"), "2026-06-01"),
                );
            }
            _ => {}
        }
        let vw = format!("{p}/Verwijzer");
        let ty = s.text(&format!("{vw}/Type")).expect("Type");
        let naam = s.has(&format!("{vw}/Naam"));
        let agb = s.has(&format!("{vw}/ZorgverlenerCode"));
        if matches!(ty.as_str(), "02" | "03" | "04" | "05") {
            if naam && !agb {
                s.one("CD067", &format!("{vw}/Naam-removed"), |t| {
                    t.remove(&format!("{vw}/Naam"))
                });
                s.one("CD066", &format!("{vw}/ZorgverlenerCode-added"), |t| {
                    t.set(&format!("{vw}/ZorgverlenerCode"), "12345678")
                });
                s.one("CD068", &format!("{vw}/Type=01+ZorgverlenerCode"), |t| {
                    t.set(&format!("{vw}/Type"), "01");
                    t.set(&format!("{vw}/ZorgverlenerCode"), "12345678");
                });
            }
        } else if !agb {
            s.one("CD068", &format!("{vw}/ZorgverlenerCode-added"), |t| {
                t.set(&format!("{vw}/ZorgverlenerCode"), "12345678")
            });
            if naam {
                s.one("CD067", &format!("{vw}/Type=02-without-Naam"), |t| {
                    t.set(&format!("{vw}/Type"), "02");
                    t.remove(&format!("{vw}/Naam"));
                });
            }
        }
    }
    if n >= 2 && s.has(&format!("{ap}[1]/Product/Code")) && s.has(&format!("{ap}[2]/Product")) {
        s.one("TR386", &format!("{ap}[2]/Product=product-of-[1]"), |t| {
            for part in [
                "Product/Categorie",
                "Product/Code",
                "ToewijzingIngangsdatum",
            ] {
                let v = t.text(&format!("{ap}[1]/{part}"));
                t.set(&format!("{ap}[2]/{part}"), v);
            }
        });
    }
    if n >= 2 {
        s.push(
            "TR383",
            &["TR101"],
            &format!("{ap}[2]/ReferentieAanbieder=of-[1]"),
            |t| {
                let r = t.text(&format!("{ap}[1]/ReferentieAanbieder"));
                t.set(&format!("{ap}[2]/ReferentieAanbieder"), r);
            },
        );
    }
}

/// A valid NieuwProduct for the 317 (starts three weeks after the Dagtekening).
fn nieuw_product(t: &mut Ed, path: &str, dag: NaiveDate, ijw: bool, offset: u64) {
    let (cat, code) = if ijw {
        ("45", "45A05")
    } else {
        ("02", "02A02")
    };
    t.set(&format!("{path}/Product/Categorie"), cat);
    t.set(&format!("{path}/Product/Code"), code);
    t.set_date(
        &format!("{path}/GewensteIngangsdatum"),
        plus(dag, 21 + offset),
    );
    t.set_date(&format!("{path}/Einddatum"), plus(dag, 200));
    t.set(&format!("{path}/Omvang/Volume"), "4");
    t.set(&format!("{path}/Omvang/Eenheid"), "04");
    t.set(&format!("{path}/Omvang/Frequentie"), "2");
}

fn vow(s: &mut L2) {
    bsn(s, "Client/Bsn");
    let v = "Client/Verzoek";
    let tw = format!("{v}/TeWijzigenProducten/TeWijzigenProduct");
    let og = format!("{v}/OngewijzigdeProducten/OngewijzigdProduct");
    let np = format!("{v}/NieuweProducten/NieuwProduct");
    let dag = s.dagtekening();
    let ijw = s.ijw();
    let sh = Shape {
        repeated: &tw,
        begin: "GewensteIngangsdatum",
        einde: "Einddatum",
        has_product: false,
        cd080: "-",
        cs338: "CS338",
    };
    for i in 1..=s.count(&tw) {
        shape(s, sh, i);
    }
    if s.count(&tw) > 0 {
        s.one("TR101", &format!("{tw}[1]-twice"), |t| {
            t.dup(&format!("{tw}[1]"));
        });
    }
    if s.count(&og) > 0 {
        s.one("TR101", &format!("{og}[1]-twice"), |t| {
            t.dup(&format!("{og}[1]"));
        });
        if s.count(&tw) > 0 {
            s.one("TR353", "TeWijzigenProducten-removed", |t| {
                t.remove(&format!("{v}/TeWijzigenProducten"))
            });
        }
    }
    s.one("TR352", "only-NieuweProducten", |t| {
        for c in ["OngewijzigdeProducten", "TeWijzigenProducten"] {
            if t.has(&format!("{v}/{c}")) {
                t.remove(&format!("{v}/{c}"));
            }
        }
        nieuw_product(t, &np, dag, ijw, 0);
    });
    // NieuwProduct: added to the fixture, then broken
    let with_new = |t: &mut Ed| nieuw_product(t, &np, dag, ijw, 0);
    let e = |n: &str| format!("{np}/{n}");
    s.one("CD041", "NieuwProduct-without-Omvang", |t| {
        with_new(t);
        t.remove(&e("Omvang"));
    });
    s.one("CD096", "NieuwProduct-without-Code", |t| {
        with_new(t);
        t.remove(&e("Product/Code"));
    });
    s.one("CD079", "NieuwProduct-without-Product", |t| {
        with_new(t);
        t.remove(&e("Product"));
        t.remove(&e("Omvang"));
    });
    s.one("CD075", "NieuwProduct-Budget-without-Einddatum", |t| {
        with_new(t);
        t.remove(&e("Product/Code"));
        t.remove(&e("Omvang"));
        t.set(&e("Budget"), "100000");
        t.remove(&e("Einddatum"));
    });
    s.one("CD076", "NieuwProduct-weekly-without-Einddatum", |t| {
        with_new(t);
        t.remove(&e("Einddatum"));
    });
    s.push("CD077", &["CD078"], "NieuwProduct-Budget-and-Omvang", |t| {
        with_new(t);
        t.set(&e("Budget"), "100000");
    });
    s.one("CS003", "NieuwProduct-Einddatum-before-begin", |t| {
        with_new(t);
        let b = t.date(&e("GewensteIngangsdatum"));
        t.set_date(&e("Einddatum"), minus(b, 1));
    });
    s.one("CS338", "NieuwProduct-Omvang=14/1", |t| {
        with_new(t);
        t.set(&e("Omvang/Eenheid"), "14");
        t.set(&e("Omvang/Frequentie"), "1");
    });
    s.one(
        "TR380",
        "NieuwProduct-GewensteIngangsdatum=Dagtekening",
        |t| {
            with_new(t);
            t.set_date(&e("GewensteIngangsdatum"), dag);
        },
    );
    s.one(
        "TR380",
        "NieuwProduct-GewensteIngangsdatum-before-Dagtekening",
        |t| {
            with_new(t);
            t.set_date(&e("GewensteIngangsdatum"), minus(dag, 3));
        },
    );
    s.one("TR410", "two-overlapping-NieuwProducten", |t| {
        with_new(t);
        nieuw_product(t, &format!("{np}[2]"), dag, ijw, 1);
    });
}

fn antwoord(s: &mut L2) {
    let a = "Antwoord";
    let woonplaats = s.def.lookup(&["Antwoord", "Woonplaatsbeginsel"]).is_some();
    match s.text("Antwoord/VerzoekAntwoord").as_deref() {
        Some("2") if !s.has("Antwoord/RedenAfwijzingVerzoek") => {
            s.one("CD085", "VerzoekAntwoord=1-without-reden", |t| {
                t.set(&format!("{a}/VerzoekAntwoord"), "1")
            });
            s.one("CD086", "RedenAfwijzingVerzoek-added", |t| {
                t.set(&format!("{a}/RedenAfwijzingVerzoek"), "1")
            });
            if woonplaats {
                s.one("TR377", "reden-8-without-Woonplaatsbeginsel", |t| {
                    t.set(&format!("{a}/VerzoekAntwoord"), "1");
                    t.set(&format!("{a}/RedenAfwijzingVerzoek"), "8");
                });
                s.one("TR409", "Woonplaatsbeginsel-without-reden", |t| {
                    t.set(&format!("{a}/Woonplaatsbeginsel/Gemeente"), "0513")
                });
                s.one("TR409", "Woonplaatsbeginsel-with-reden-1", |t| {
                    t.set(&format!("{a}/VerzoekAntwoord"), "1");
                    t.set(&format!("{a}/RedenAfwijzingVerzoek"), "1");
                    t.set(&format!("{a}/Woonplaatsbeginsel/Gemeente"), "0513");
                });
            }
        }
        other => panic!("319 fixture: unexpected VerzoekAntwoord {other:?}"),
    }
}

/// Every prestatie path below `root` (`Declaratie` or `DeclaratieAntwoord`).
fn prestaties(t: &Element, root: &str) -> Vec<String> {
    let mut out = Vec::new();
    let clients = format!("{root}/Clienten/Client");
    for c in 1..=count(t, &clients) {
        let ps = format!("{clients}[{c}]/Prestaties/Prestatie");
        for p in 1..=count(t, &ps) {
            out.push(format!("{ps}[{p}]"));
        }
    }
    out
}

fn signed(t: &Ed, bedrag: &str, dc: &str) -> i64 {
    let b = t.num(bedrag);
    if t.text(dc) == "C" {
        -b
    } else {
        b
    }
}

fn set_signed(t: &mut Ed, bedrag: &str, dc: &str, v: i64) {
    t.set(bedrag, v.abs().to_string());
    t.set(dc, if v < 0 { "C" } else { "D" });
}

fn sum_prestaties(t: &Ed, root: &str) -> i64 {
    prestaties(&t.t, root)
        .iter()
        .map(|p| {
            signed(
                t,
                &format!("{p}/IngediendBedrag/Bedrag"),
                &format!("{p}/IngediendBedrag/DebetCredit"),
            )
        })
        .sum()
}

/// 323: TotaalIngediendBedrag = the signed sum of the prestaties (TR358).
fn fix_total(t: &mut Ed) {
    let sum = sum_prestaties(t, "Declaratie");
    set_signed(
        t,
        "Declaratie/TotaalIngediendBedrag/TotaalBedrag",
        "Declaratie/TotaalIngediendBedrag/DebetCredit",
        sum,
    );
}

/// 325: TotaalToegekendBedrag = ingediend − returned prestaties (TR342).
fn fix_toegekend(t: &mut Ed) {
    let r = "DeclaratieAntwoord";
    let returned = sum_prestaties(t, r);
    let ingediend = signed(
        t,
        &format!("{r}/TotaalIngediendBedrag/TotaalBedrag"),
        &format!("{r}/TotaalIngediendBedrag/DebetCredit"),
    );
    set_signed(
        t,
        &format!("{r}/TotaalToegekendBedrag/TotaalBedrag"),
        &format!("{r}/TotaalToegekendBedrag/DebetCredit"),
        ingediend - returned,
    );
}

fn is_credit(s: &L2, p: &str) -> bool {
    s.text(&format!("{p}/IngediendBedrag/DebetCredit"))
        .as_deref()
        == Some("C")
}

fn declaratie(s: &mut L2) {
    let d = "Declaratie";
    let dag = s.dagtekening();
    let decl_dag = date(&s.text("Declaratie/DeclaratieDagtekening").unwrap());
    for c in 1..=s.count("Declaratie/Clienten/Client") {
        bsn(s, &format!("Declaratie/Clienten/Client[{c}]/Bsn"));
    }
    // the declaration period
    let pb = date(&s.text("Declaratie/DeclaratiePeriode/Begindatum").unwrap());
    let pe = date(&s.text("Declaratie/DeclaratiePeriode/Einddatum").unwrap());
    s.one("CS340", "DeclaratiePeriode/Einddatum-1", |t| {
        t.set_date("Declaratie/DeclaratiePeriode/Einddatum", minus(pe, 1))
    });
    s.one("CS340", "DeclaratiePeriode/Begindatum+1", |t| {
        t.set_date("Declaratie/DeclaratiePeriode/Begindatum", plus(pb, 1))
    });
    s.one("CS340", "DeclaratiePeriode-two-months", |t| {
        t.set_date(
            "Declaratie/DeclaratiePeriode/Begindatum",
            first_of_month(minus(pb, 1)),
        )
    });
    s.one("CS100", "DeclaratiePeriode=2020-12", |t| {
        t.set("Declaratie/DeclaratiePeriode/Begindatum", "2020-12-01");
        t.set("Declaratie/DeclaratiePeriode/Einddatum", "2020-12-31");
    });
    s.one("TR134", "DeclaratieDagtekening-after-Dagtekening", |t| {
        t.set_date("Declaratie/DeclaratieDagtekening", plus(dag, 1))
    });
    s.one("TR358", "TotaalBedrag+1", |t| {
        let v = t.num("Declaratie/TotaalIngediendBedrag/TotaalBedrag");
        t.set(
            "Declaratie/TotaalIngediendBedrag/TotaalBedrag",
            (v + 1).to_string(),
        );
    });
    s.one("TR358", "TotaalIngediendBedrag-other-sign", |t| {
        let dc = "Declaratie/TotaalIngediendBedrag/DebetCredit";
        let flipped = if t.text(dc) == "D" { "C" } else { "D" };
        t.set(dc, flipped);
    });

    let all = prestaties(s.tree(), d);
    let debits: Vec<String> = all.iter().filter(|p| !is_credit(s, p)).cloned().collect();
    let credits: Vec<String> = all.iter().filter(|p| is_credit(s, p)).cloned().collect();
    for p in &all {
        let e = |n: &str| format!("{p}/{n}");
        let b = date(&s.text(&e("ProductPeriode/Begindatum")).unwrap());
        let eind = date(&s.text(&e("ProductPeriode/Einddatum")).unwrap());
        let next = plus(last_of_month(b), 1);
        if next <= dag {
            s.one(
                "CS337",
                &format!("{p}/ProductPeriode/Einddatum={next}"),
                |t| t.set_date(&e("ProductPeriode/Einddatum"), next),
            );
        }
        if eind > b {
            s.one("TR137", &format!("{p}/ProductPeriode-reversed"), |t| {
                t.set_date(&e("ProductPeriode/Begindatum"), eind);
                t.set_date(&e("ProductPeriode/Einddatum"), b);
            });
        }
        let eenheid = s.text(&e("Eenheid")).unwrap();
        let volume: i64 = s.text(&e("GeleverdVolume")).unwrap().parse().unwrap();
        let bedrag: i64 = s
            .text(&e("IngediendBedrag/Bedrag"))
            .unwrap()
            .parse()
            .unwrap();
        if eenheid != "83" && s.has(&e("ProductTarief")) {
            s.one("CD087", &format!("{p}/ProductTarief-removed"), |t| {
                t.remove(&e("ProductTarief"))
            });
            s.one(
                "CD087",
                &format!("{p}/Eenheid=83-with-ProductTarief"),
                |t| {
                    t.set(&e("Eenheid"), "83");
                    t.set(&e("GeleverdVolume"), bedrag.to_string());
                },
            );
            if volume != bedrag {
                s.one("CS339", &format!("{p}/Eenheid=83-Bedrag-not-volume"), |t| {
                    t.set(&e("Eenheid"), "83");
                    t.remove(&e("ProductTarief"));
                });
            }
        }
        if is_credit(s, p) {
            s.one(
                "CD060",
                &format!("{p}/credit-without-VorigReferentieNummer"),
                |t| t.remove(&e("ProductReferentie/VorigReferentieNummer")),
            );
            s.one("CS325", &format!("{p}/Bedrag=0-credit"), |t| {
                t.set(&e("IngediendBedrag/Bedrag"), "0");
                fix_total(t);
            });
        } else {
            s.one(
                "CD060",
                &format!("{p}/debit-with-VorigReferentieNummer"),
                |t| {
                    t.set(
                        &e("ProductReferentie/VorigReferentieNummer"),
                        "VORIG-ONBEKEND-1",
                    )
                },
            );
        }
    }
    if let Some(last) = debits.last() {
        s.one(
            "TR335",
            &format!("{last}/ProductPeriode-over-5-years"),
            |t| {
                let limit = decl_dag.checked_sub_months(Months::new(60)).unwrap();
                let b = first_of_month(minus(first_of_month(limit), 1));
                t.set_date(&format!("{last}/ProductPeriode/Begindatum"), b);
                t.set_date(
                    &format!("{last}/ProductPeriode/Einddatum"),
                    last_of_month(b),
                );
            },
        );
        s.one("CS100", &format!("{last}/ProductPeriode=2020-12"), |t| {
            t.set("Declaratie/DeclaratieDagtekening", "2025-12-31");
            t.set(&format!("{last}/ProductPeriode/Begindatum"), "2020-12-01");
            t.set(&format!("{last}/ProductPeriode/Einddatum"), "2020-12-31");
        });
        s.one(
            "TR101",
            &format!("{last}-twice-other-ToewijzingNummer"),
            |t| {
                let copy = t.dup(last);
                let n = t.num(&format!("{copy}/ToewijzingNummer"));
                t.set(&format!("{copy}/ToewijzingNummer"), (n + 1).to_string());
                fix_total(t);
            },
        );
    }
    if debits.len() >= 2 {
        let (a, b) = (&debits[0], &debits[1]);
        s.one("TR416", &format!("{b}-same-key-as-{a}"), |t| {
            for part in [
                "ProductPeriode/Begindatum",
                "ProductPeriode/Einddatum",
                "ProductCategorie",
                "ProductCode",
                "ToewijzingNummer",
            ] {
                let v = t.text(&format!("{a}/{part}"));
                t.set(&format!("{b}/{part}"), v);
            }
        });
    }
    if let (Some(c), Some(q)) = (credits.first(), debits.first()) {
        s.one("TR315", &format!("{q}-credits-the-same-as-{c}"), |t| {
            let vorig = t.text(&format!("{c}/ProductReferentie/VorigReferentieNummer"));
            t.set(&format!("{q}/IngediendBedrag/DebetCredit"), "C");
            t.set(
                &format!("{q}/ProductReferentie/VorigReferentieNummer"),
                vorig,
            );
            fix_total(t);
        });
        s.one("TR316", &format!("{c}-credits-{q}"), |t| {
            let r = t.text(&format!("{q}/ProductReferentie/ReferentieNummer"));
            t.set(&format!("{c}/ProductReferentie/VorigReferentieNummer"), r);
        });
    }
}

fn declaratie_antwoord(s: &mut L2) {
    let r = "DeclaratieAntwoord";
    if !s.has(r) {
        return;
    }
    for c in 1..=s.count("DeclaratieAntwoord/Clienten/Client") {
        bsn(s, &format!("DeclaratieAntwoord/Clienten/Client[{c}]/Bsn"));
    }
    s.one("TR342", "TotaalToegekendBedrag+1", |t| {
        let p = "DeclaratieAntwoord/TotaalToegekendBedrag/TotaalBedrag";
        let v = t.num(p);
        t.set(p, (v + 1).to_string());
    });
    s.one("CS325", "TotaalToegekendBedrag=0-credit", |t| {
        let returned = sum_prestaties(t, r);
        set_signed(
            t,
            "DeclaratieAntwoord/TotaalIngediendBedrag/TotaalBedrag",
            "DeclaratieAntwoord/TotaalIngediendBedrag/DebetCredit",
            returned,
        );
        t.set("DeclaratieAntwoord/TotaalToegekendBedrag/TotaalBedrag", "0");
        t.set("DeclaratieAntwoord/TotaalToegekendBedrag/DebetCredit", "C");
    });
    let rejected_code = prestaties(s.tree(), r)
        .first()
        .and_then(|p| s.text(&format!("{p}/RetourCodes/RetourCode")))
        .filter(|c| c != "0200")
        .unwrap_or_else(|| "0001".into());
    s.one(
        "TR342",
        &format!("DeclaratieAntwoord/RetourCode={rejected_code}-with-Clienten"),
        |t| {
            t.set(
                "DeclaratieAntwoord/RetourCodes/RetourCode",
                rejected_code.clone(),
            )
        },
    );
    for p in prestaties(s.tree(), r) {
        let e = |n: &str| format!("{p}/{n}");
        s.one("TR342", &format!("{p}/RetourCode=0200"), |t| {
            t.set(&e("RetourCodes/RetourCode"), "0200")
        });
        let b = date(&s.text(&e("ProductPeriode/Begindatum")).unwrap());
        let eind = date(&s.text(&e("ProductPeriode/Einddatum")).unwrap());
        if eind > b {
            s.one("TR137", &format!("{p}/ProductPeriode-reversed"), |t| {
                t.set_date(&e("ProductPeriode/Begindatum"), eind);
                t.set_date(&e("ProductPeriode/Einddatum"), b);
            });
        }
        if is_credit(s, &p) {
            s.one(
                "CD060",
                &format!("{p}/credit-without-VorigReferentieNummer"),
                |t| t.remove(&e("ProductReferentie/VorigReferentieNummer")),
            );
        } else {
            s.one(
                "CD060",
                &format!("{p}/debit-with-VorigReferentieNummer"),
                |t| {
                    t.set(
                        &e("ProductReferentie/VorigReferentieNummer"),
                        "VORIG-ONBEKEND-1",
                    )
                },
            );
            s.one("CS325", &format!("{p}/Bedrag=0-credit"), |t| {
                t.set(&e("IngediendBedrag/Bedrag"), "0");
                t.set(&e("IngediendBedrag/DebetCredit"), "C");
                t.set(
                    &e("ProductReferentie/VorigReferentieNummer"),
                    "VORIG-ONBEKEND-1",
                );
                fix_toegekend(t);
            });
        }
        s.one("TR101", &format!("{p}-twice"), |t| {
            t.dup(&p);
            fix_toegekend(t);
        });
    }
}
