//! A message as a plain element tree: every element with its local name, namespace side and
//! text, exactly as received. Retours are built from it and the writer writes it back.

/// One element; `basis` tells whether it is in the basisschema namespace.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    pub name: String,
    pub basis: bool,
    /// Text of a simple-typed element (XML line ends normalised, entities resolved).
    pub text: Option<String>,
    pub children: Vec<Element>,
    /// Byte offset of the start tag in the source (0 for built elements).
    pub offset: usize,
}

impl Element {
    pub fn new(name: &str, basis: bool) -> Element {
        Element {
            name: name.to_string(),
            basis,
            ..Element::default()
        }
    }

    pub fn leaf(name: &str, basis: bool, text: impl Into<String>) -> Element {
        Element {
            name: name.to_string(),
            basis,
            text: Some(text.into()),
            ..Element::default()
        }
    }

    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn child_mut(&mut self, name: &str) -> Option<&mut Element> {
        self.children.iter_mut().find(|c| c.name == name)
    }

    /// Text of the first descendant at this path of local names.
    pub fn text_at(&self, path: &[&str]) -> Option<&str> {
        path.iter()
            .try_fold(self, |e, n| e.child(n))
            .and_then(|e| e.text.as_deref())
    }

    /// Walks the tree, calling `f` with each element's path (as in findings: `[n]` on every
    /// element whose name repeats among its siblings or that `repeats` says may repeat).
    pub fn walk_paths(&self, repeats: &dyn Fn(&[&str]) -> bool, f: &mut dyn FnMut(&str, &Element)) {
        let mut names = vec![self.name.as_str()];
        let mut path = format!("/{}", self.name);
        f(&path, self);
        walk(self, &mut names, &mut path, repeats, f);
    }
}

fn walk<'a>(
    e: &'a Element,
    names: &mut Vec<&'a str>,
    path: &mut String,
    repeats: &dyn Fn(&[&str]) -> bool,
    f: &mut dyn FnMut(&str, &Element),
) {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for c in &e.children {
        let n = match seen.iter_mut().find(|(name, _)| *name == c.name) {
            Some((_, count)) => {
                *count += 1;
                *count
            }
            None => {
                seen.push((&c.name, 1));
                1
            }
        };
        let len = path.len();
        names.push(&c.name);
        path.push('/');
        path.push_str(&c.name);
        if repeats(&names[1..]) {
            path.push_str(&format!("[{n}]"));
        }
        f(path, c);
        walk(c, names, path, repeats, f);
        names.pop();
        path.truncate(len);
    }
}
