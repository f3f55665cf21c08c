//! A compact element tree that borrows from the message text: what layer 1 records on its one
//! pass (each matched element with its declaration, text and position). The typed model, the
//! owned [`Element`] tree and the placing of level-2 findings are all made from it, so the XML
//! is parsed only once.

use super::tree::Element;
use quick_xml::DeError;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess};
use serde::de::{Deserializer, Visitor};
use std::borrow::Cow;

/// The elements of one document in document order; each knows where its subtree ends.
#[derive(Debug, Default)]
pub struct Doc<'a> {
    nodes: Vec<Node<'a>>,
    complete: bool,
}

/// An element name as written (`jw323:Client`), borrowed from the text where possible.
#[derive(Debug, Clone)]
pub struct Name<'a> {
    pub qname: Cow<'a, str>,
    /// Where the local name starts in `qname`.
    pub local_at: usize,
}

impl Name<'_> {
    pub fn local(&self) -> &str {
        &self.qname[self.local_at..]
    }
}

#[derive(Debug)]
struct Node<'a> {
    name: Name<'a>,
    basis: bool,
    /// Byte offset of the start tag.
    offset: usize,
    /// Index one past the last node of this element's subtree.
    end: usize,
    /// The value of a simple-typed element; None for elements with element content.
    text: Option<Cow<'a, str>>,
}

impl Node<'_> {
    fn local(&self) -> &str {
        self.name.local()
    }
}

impl<'a> Doc<'a> {
    /// A document expected to hold about `capacity` elements.
    pub fn with_capacity(capacity: usize) -> Doc<'a> {
        Doc {
            nodes: Vec::with_capacity(capacity),
            complete: false,
        }
    }

    /// Records a start tag; returns the id to [`close`](Self::close) it with.
    pub fn open(&mut self, name: Name<'a>, basis: bool, offset: usize) -> usize {
        self.nodes.push(Node {
            name,
            basis,
            offset,
            end: 0,
            text: None,
        });
        self.nodes.len() - 1
    }

    /// Records the end of an element, with its value when it is simple-typed.
    pub fn close(&mut self, id: usize, text: Option<Cow<'a, str>>) {
        let end = self.nodes.len();
        let node = &mut self.nodes[id];
        node.end = end;
        node.text = text;
        if id == 0 {
            self.complete = true;
        }
    }

    /// True once the root element was closed.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    fn children(&self, id: usize) -> impl Iterator<Item = usize> + '_ {
        self.siblings(id + 1, self.nodes[id].end)
    }

    /// The owned element tree, once the root was closed.
    pub fn tree(&self) -> Option<Element> {
        self.complete.then(|| self.element(0))
    }

    fn element(&self, id: usize) -> Element {
        let n = &self.nodes[id];
        Element {
            name: n.local().to_string(),
            basis: n.basis,
            text: n.text.as_ref().map(|t| t.to_string()),
            children: self.children(id).map(|c| self.element(c)).collect(),
            offset: n.offset,
        }
    }

    /// The offset of the root element (0 before it was closed).
    pub fn locate_root(&self) -> usize {
        match self.nodes.first() {
            Some(root) if self.complete => root.offset,
            _ => 0,
        }
    }

    /// The children of a parent whose subtree ends at `end`, from child `from` on.
    fn siblings(&self, from: usize, end: usize) -> impl Iterator<Item = usize> + '_ {
        let mut next = from;
        std::iter::from_fn(move || {
            let c = next;
            (c < end).then(|| {
                next = self.nodes[c].end;
                c
            })
        })
    }

    /// Calls `f` with every element's path and offset, exactly as [`Element::walk_paths`] does
    /// on the tree.
    pub fn walk_paths(&self, repeats: &dyn Fn(&[&str]) -> bool, f: &mut dyn FnMut(&str, usize)) {
        if !self.complete {
            return;
        }
        let root = &self.nodes[0];
        let mut names = vec![root.local()];
        let mut path = format!("/{}", root.local());
        f(&path, root.offset);
        self.walk(0, &mut names, &mut path, repeats, f);
    }

    fn walk<'s>(
        &'s self,
        id: usize,
        names: &mut Vec<&'s str>,
        path: &mut String,
        repeats: &dyn Fn(&[&str]) -> bool,
        f: &mut dyn FnMut(&str, usize),
    ) {
        let mut seen: Vec<(&str, usize)> = Vec::new();
        for c in self.children(id) {
            let name = self.nodes[c].local();
            let n = match seen.iter_mut().find(|(s, _)| *s == name) {
                Some((_, count)) => {
                    *count += 1;
                    *count
                }
                None => {
                    seen.push((name, 1));
                    1
                }
            };
            let len = path.len();
            names.push(name);
            path.push('/');
            path.push_str(name);
            if repeats(&names[1..]) {
                path.push_str(&format!("[{n}]"));
            }
            f(path, self.nodes[c].offset);
            self.walk(c, names, path, repeats, f);
            names.pop();
            path.truncate(len);
        }
    }
}

/// Finds elements of a [`Doc`] by the paths [`Doc::walk_paths`] writes, walking the path's
/// segments down the tree instead of indexing every path. It remembers where the last `[n]` at
/// each depth was found, so findings reported in document order (thousands in a 25 MB
/// declaration) are placed in linear time.
pub struct Locator<'d, 'a, 'r> {
    doc: &'d Doc<'a>,
    /// Whether the element at a path of local names below the root shows `[n]`.
    repeats: &'r dyn Fn(&[&str]) -> bool,
    /// Per depth below the root: (parent, child, its n) of the last `[n]` found there.
    resume: Vec<Option<(usize, usize, usize)>>,
}

impl<'d, 'a, 'r> Locator<'d, 'a, 'r> {
    pub fn new(doc: &'d Doc<'a>, repeats: &'r dyn Fn(&[&str]) -> bool) -> Self {
        Locator {
            doc,
            repeats,
            resume: Vec::new(),
        }
    }

    /// The offset of the first element (in document order) whose path is exactly `path`.
    pub fn locate(&mut self, path: &str) -> Option<usize> {
        if !self.doc.complete {
            return None;
        }
        let mut segments = path.strip_prefix('/')?.split('/');
        if segments.next()? != self.doc.nodes[0].local() {
            return None;
        }
        let segments: Vec<&str> = segments.collect();
        if self.resume.len() < segments.len() {
            self.resume.resize(segments.len(), None);
        }
        let mut names = Vec::with_capacity(segments.len());
        self.find(0, &segments, &mut names)
    }

    fn find(&mut self, id: usize, segments: &[&str], names: &mut Vec<&'d str>) -> Option<usize> {
        let doc = self.doc;
        let Some((segment, rest)) = segments.split_first() else {
            return Some(doc.nodes[id].offset);
        };
        let (name, index) = match segment.split_once('[') {
            Some((name, index)) => (name, Some(index.strip_suffix(']')?)),
            None => (*segment, None),
        };
        // `[n]` exactly as written: decimal without leading zeros
        let wanted = match index {
            Some(i) if i.starts_with('0') || !i.bytes().all(|b| b.is_ascii_digit()) => return None,
            Some(i) => Some(i.parse::<usize>().ok()?),
            None => None,
        };
        let depth = names.len();
        let end = doc.nodes[id].end;
        // children before the last `[n]` found here cannot be a later `[n]`
        let (from, mut seen) = match (self.resume[depth], wanted) {
            (Some((parent, child, n)), Some(w))
                if parent == id && n <= w && doc.nodes[child].local() == name =>
            {
                (child, n - 1)
            }
            _ => (id + 1, 0),
        };
        for c in doc.siblings(from, end) {
            let local = doc.nodes[c].local();
            if local != name {
                continue;
            }
            seen += 1;
            names.push(local);
            let shown = (self.repeats)(names).then_some(seen);
            let found = if shown == wanted {
                if wanted.is_some() {
                    self.resume[depth] = Some((id, c, seen));
                }
                self.find(c, rest, names)
            } else {
                None
            };
            names.pop();
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

/// Reads a value of the typed model from the document exactly as `quick_xml::de::from_str`
/// reads it from the text of a schema-valid message: struct fields by local name, a `Vec` field
/// from a run of consecutive elements with the same qualified name, strings as the element's
/// text, unknown elements ignored, and quick-xml's error type and messages.
///
/// Only what the model uses is supported: structs, strings, options and sequences (every
/// number, date and code is read from its string by [`super::lexical`]).
pub fn from_doc<T: DeserializeOwned>(doc: &Doc) -> Result<T, DeError> {
    if !doc.complete {
        return Err(DeError::UnexpectedEof);
    }
    T::deserialize(Elem { doc, at: 0 })
}

/// One element as a value: a struct of its children, or its text.
struct Elem<'d, 'a> {
    doc: &'d Doc<'a>,
    at: usize,
}

impl<'de> Deserializer<'de> for Elem<'_, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.doc.nodes[self.at].text {
            Some(_) => self.deserialize_str(v),
            None => self.deserialize_map(v),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let node = &self.doc.nodes[self.at];
        match (&node.text, self.doc.children(self.at).next()) {
            (Some(text), _) => v.visit_str(text),
            // quick-xml: a tag where text was expected
            (None, Some(child)) => Err(DeError::UnexpectedStart(
                self.doc.nodes[child].name.qname.as_bytes().to_vec(),
            )),
            (None, None) => v.visit_str(""),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let end = self.doc.nodes[self.at].end;
        v.visit_map(Children {
            doc: self.doc,
            next: self.at + 1,
            end,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(v)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit
        unit_struct seq tuple tuple_struct enum identifier
    }
}

/// The child elements of one element as map entries keyed by local name. (A text child would
/// be a `$text` key, which no model struct has, so it is left out: the result is the same.)
struct Children<'d, 'a> {
    doc: &'d Doc<'a>,
    next: usize,
    end: usize,
}

impl<'de> MapAccess<'de> for Children<'_, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        if self.next >= self.end {
            return Ok(None);
        }
        let key: de::value::StrDeserializer<DeError> =
            self.doc.nodes[self.next].local().into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, DeError> {
        seed.deserialize(Field { map: self })
    }
}

/// The value of one map entry: the next child, or for a sequence the run of children that
/// share its qualified name. It moves the map past what it consumed.
struct Field<'m, 'd, 'a> {
    map: &'m mut Children<'d, 'a>,
}

impl<'d, 'a> Field<'_, 'd, 'a> {
    /// The next child as a single element.
    fn one(self) -> Elem<'d, 'a> {
        let at = self.map.next;
        self.map.next = self.map.doc.nodes[at].end;
        Elem {
            doc: self.map.doc,
            at,
        }
    }
}

impl<'de> Deserializer<'de> for Field<'_, '_, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.one().deserialize_any(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_some(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let nodes = &self.map.doc.nodes;
        let first = self.map.next;
        let mut end = first;
        while end < self.map.end && nodes[end].name.qname == nodes[first].name.qname {
            end = nodes[end].end;
        }
        self.map.next = end;
        v.visit_seq(Run {
            doc: self.map.doc,
            next: first,
            end,
        })
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.one().deserialize_ignored_any(v)
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.one().deserialize_str(v)
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.one().deserialize_str(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.one().deserialize_map(v)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        self.one().deserialize_map(v)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit
        unit_struct tuple tuple_struct enum identifier
    }
}

/// The items of a sequence field.
struct Run<'d, 'a> {
    doc: &'d Doc<'a>,
    next: usize,
    end: usize,
}

impl<'de> SeqAccess<'de> for Run<'_, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        if self.next >= self.end {
            return Ok(None);
        }
        let at = self.next;
        self.next = self.doc.nodes[at].end;
        seed.deserialize(Elem { doc: self.doc, at }).map(Some)
    }
}
