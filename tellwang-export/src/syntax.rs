//! Small builders over hcl-rs's structures, and the one place a body is
//! turned into text.
//!
//! Text is written by hcl-rs's formatter, with one adjustment so that the
//! files come out exactly as `terraform fmt` would leave them: `terraform fmt`
//! lines up the `=` of consecutive one-line attributes, and hcl-rs does not,
//! so each block's attribute names are padded before it is written.
//!
//! A large file is written a top-level block at a time ([`File`]): each
//! block is formatted as soon as it is built and then dropped, so only one
//! resource's tree is alive at once. That writes the same bytes as
//! formatting the whole body (hcl-rs formats a body one structure after
//! another with the same formatter), and the allocator reuses the freed
//! memory for the next block instead of growing the heap for the whole file.

use hcl::expr::{Expression, ObjectKey, Traversal, TraversalOperator, Variable};
use hcl::format::{Format, Formatter};
use hcl::{Attribute, Block, BlockLabel, Body, Identifier, Structure};

use crate::Error;
use crate::literal::quoted;

/// A block under construction: the hcl-rs [`Block`] itself, filled in place.
///
/// hcl-rs's own builder starts from an empty body that grows item by item
/// and copies it into a new vector when built; this one starts with room for
/// a typical block and hands the block over as it is.
#[derive(Debug)]
pub(crate) struct BlockBuilder(Block);

/// Room for the items of a typical block, reserved up front.
const BLOCK_ROOM: usize = 8;

impl BlockBuilder {
    /// Adds a quoted label.
    pub(crate) fn add_label(mut self, label: &str) -> Self {
        self.0.labels.push(BlockLabel::String(label.to_owned()));
        self
    }

    /// Adds an attribute to the body.
    pub(crate) fn add_attribute(mut self, attribute: Attribute) -> Self {
        self.0.body.0.push(Structure::Attribute(attribute));
        self
    }

    /// Adds a nested block to the body.
    pub(crate) fn add_block(mut self, block: Block) -> Self {
        self.0.body.0.push(Structure::Block(block));
        self
    }

    /// Adds nested blocks to the body.
    pub(crate) fn add_blocks(mut self, blocks: impl IntoIterator<Item = Block>) -> Self {
        self.0.body.0.extend(blocks.into_iter().map(Structure::Block));
        self
    }

    /// The block.
    pub(crate) fn build(self) -> Block {
        self.0
    }
}

/// An empty block `ident`, one of the exporter's own words.
pub(crate) fn builder(ident: &str) -> BlockBuilder {
    BlockBuilder(Block {
        identifier: Identifier::unchecked(ident),
        labels: Vec::new(),
        body: Body(Vec::with_capacity(BLOCK_ROOM)),
    })
}

/// A `resource "<kind>" "<name>"` block under construction. `name` must be
/// an identifier from [`crate::ident`].
pub(crate) fn resource(kind: &str, name: &str) -> BlockBuilder {
    let mut resource = builder("resource");
    resource.0.labels = vec![BlockLabel::String(kind.to_owned()), BlockLabel::String(name.to_owned())];
    resource
}

/// A nested block with `attributes`, in order. `ident` and the attribute
/// names are the exporter's own words.
pub(crate) fn block<'a>(ident: &str, attributes: impl IntoIterator<Item = (&'a str, Expression)>) -> BlockBuilder {
    let mut block = builder(ident);
    block.0.body.0.extend(attributes.into_iter().map(|(k, v)| Structure::Attribute(attribute(k, v))));
    block
}

/// An attribute; `key` is one of the exporter's own words, so it is not
/// checked again.
pub(crate) fn attribute(key: &str, value: Expression) -> Attribute {
    // Room for the padding that alignment adds, so that it is added in place.
    // The smallest block glibc's allocator hands out holds 24 bytes, so the
    // room costs nothing for short names.
    let mut padded = String::with_capacity(key.len().max(KEY_ROOM));
    padded.push_str(key);
    Attribute::new(Identifier::unchecked(padded), value)
}

/// The capacity every attribute name gets, see [`attribute`].
const KEY_ROOM: usize = 24;

/// A reference such as `docker_network.wok.id`: `root`, then each of `path`,
/// where a part that parses as a number is an index (`metadata[0].name`).
pub(crate) fn reference(root: &str, path: &[&str]) -> Expression {
    let operators = path.iter().map(|part| match part.parse::<u64>() {
        Ok(index) => TraversalOperator::Index(Expression::from(index)),
        Err(_) => TraversalOperator::GetAttr(Identifier::unchecked(*part)),
    });
    Expression::Traversal(Box::new(Traversal::new(Variable::unchecked(root), operators)))
}

/// A list of tenant strings.
pub(crate) fn strings<'a>(items: impl IntoIterator<Item = &'a String>) -> Expression {
    Expression::Array(items.into_iter().map(|s| quoted(s)).collect())
}

/// A map, written on one line.
pub(crate) fn object(entries: Vec<(ObjectKey, Expression)>) -> Expression {
    Expression::Object(entries.into_iter().collect())
}

/// A number.
pub(crate) fn number(n: impl Into<u64>) -> Expression {
    Expression::from(n.into())
}

/// A type keyword or other bare word, such as `string`.
pub(crate) fn word(w: &str) -> Expression {
    Expression::Variable(Variable::unchecked(w))
}

/// The text of `body`, formatted as `terraform fmt` formats it.
pub(crate) fn render(body: &mut Body) -> Result<String, Error> {
    align(body);
    let mut file = File::new(4096);
    body.format(&mut file.formatter).map_err(format_error)?;
    file.finish()
}

/// A file written one top-level block at a time, formatted as
/// `terraform fmt` formats it.
pub(crate) struct File {
    formatter: Formatter<'static, Vec<u8>>,
}

impl File {
    /// An empty file, with room for `capacity` bytes.
    pub(crate) fn new(capacity: usize) -> Self {
        let out = Vec::with_capacity(capacity);
        Self { formatter: Formatter::builder().compact_arrays(false).compact_objects(true).build(out) }
    }

    /// Writes `block` after what is already written, then drops it.
    pub(crate) fn block(&mut self, mut block: Block) -> Result<(), Error> {
        align(&mut block.body);
        block.format(&mut self.formatter).map_err(format_error)
    }

    /// The text written.
    pub(crate) fn finish(self) -> Result<String, Error> {
        String::from_utf8(self.formatter.into_inner()).map_err(|e| Error::Format(e.to_string()))
    }
}

fn format_error(e: hcl::Error) -> Error {
    Error::Format(e.to_string())
}

/// Pads the names of each run of consecutive one-line attributes to the same
/// width, recursively. A nested block or an attribute written over several
/// lines (a non-empty list) ends a run, as it does for `terraform fmt`.
fn align(body: &mut Body) {
    let items = &mut body.0;
    let mut start = 0;
    while start < items.len() {
        if !in_run(&items[start]) {
            if let Structure::Block(block) = &mut items[start] {
                align(&mut block.body);
            }
            start += 1;
            continue;
        }
        let end = start + items[start..].iter().take_while(|s| in_run(s)).count();
        let width = items[start..end].iter().map(key_len).max().unwrap_or(0);
        for item in &mut items[start..end] {
            match item {
                Structure::Attribute(attr) if attr.key.len() < width => {
                    // In place: `attribute` left room for the spaces.
                    let mut key = std::mem::replace(&mut attr.key, Identifier::unchecked(String::new())).into_inner();
                    let pad = width - key.len();
                    key.extend(std::iter::repeat_n(' ', pad));
                    attr.key = Identifier::unchecked(key);
                }
                _ => {}
            }
        }
        start = end;
    }
}

/// Whether `structure` is an attribute written on one line.
fn in_run(structure: &Structure) -> bool {
    matches!(structure, Structure::Attribute(attr) if !matches!(&attr.expr, Expression::Array(items) if !items.is_empty()))
}

fn key_len(structure: &Structure) -> usize {
    match structure {
        Structure::Attribute(attr) => attr.key.len(),
        Structure::Block(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_one_line_attributes_are_aligned() {
        let mut body = Body::builder()
            .add_block(
                block("x", vec![("a", number(1u8)), ("long_name", number(2u8))])
                    .add_attribute(attribute("list", Expression::Array(vec![quoted("v")])))
                    .add_attribute(attribute("b", number(3u8)))
                    .add_block(block("inner", vec![("c", number(4u8))]).build())
                    .add_attribute(attribute("dd", number(5u8)))
                    .add_attribute(attribute("e", Expression::Array(vec![])))
                    .build(),
            )
            .build();
        let text = render(&mut body).unwrap();
        assert_eq!(
            text,
            "x {\n  a         = 1\n  long_name = 2\n  list = [\n    \"v\"\n  ]\n  b = 3\n\n  inner {\n    c = 4\n  }\n\n  dd = 5\n  e  = []\n}\n"
        );
    }

    #[test]
    fn a_file_written_block_by_block_is_the_body_written_at_once() {
        let blocks = || {
            [
                resource("r", "a").add_attribute(attribute("name", quoted("x"))).build(),
                block("b", [("key", number(1u8)), ("longer_key", number(2u8))])
                    .add_block(block("c", [("d", quoted("e"))]).build())
                    .build(),
                resource("r", "b").add_label("extra").build(),
            ]
        };
        let mut file = File::new(0);
        for b in blocks() {
            file.block(b).unwrap();
        }
        let mut body = Body(blocks().into_iter().map(Structure::Block).collect());
        assert_eq!(file.finish().unwrap(), render(&mut body).unwrap());
    }

    #[test]
    fn long_names_are_padded_beyond_the_room_reserved() {
        let long = "a_name_longer_than_the_room_reserved";
        let text = render(&mut Body(vec![
            Structure::Attribute(attribute("a", number(1u8))),
            Structure::Attribute(attribute(long, number(2u8))),
        ]))
        .unwrap();
        assert_eq!(text, format!("a{} = 1\n{long} = 2\n", " ".repeat(long.len() - 1)));
    }

    #[test]
    fn references_take_indexes() {
        let text = render(&mut Body::builder().add_attribute(attribute("v", reference("a", &["b", "0", "c"]))).build())
            .unwrap();
        assert_eq!(text, "v = a.b[0].c\n");
    }
}
