//! Small builders over hcl-rs's structures, and the one place a body is
//! turned into text.
//!
//! Text is written by hcl-rs's formatter, with one adjustment so that the
//! files come out exactly as `terraform fmt` would leave them: `terraform fmt`
//! lines up the `=` of consecutive one-line attributes, and hcl-rs does not,
//! so [`render`] pads those attribute names first.

use hcl::expr::{Expression, ObjectKey, Traversal, TraversalOperator, Variable};
use hcl::format::{Format, Formatter};
use hcl::{Attribute, Block, BlockBuilder, BlockLabel, Body, Identifier, Structure};

use crate::Error;
use crate::literal::quoted;

/// A `resource "<kind>" "<name>"` block under construction. `name` must be
/// an identifier from [`crate::ident`].
pub(crate) fn resource(kind: &str, name: &str) -> BlockBuilder {
    Block::builder(Identifier::unchecked("resource"))
        .add_label(BlockLabel::String(kind.to_owned()))
        .add_label(BlockLabel::String(name.to_owned()))
}

/// A nested block with `attributes`, in order. `ident` and the attribute
/// names are the exporter's own words.
pub(crate) fn block(ident: &str, attributes: Vec<(&str, Expression)>) -> BlockBuilder {
    // One `extend`, which reserves once, rather than a push per attribute.
    Block::builder(Identifier::unchecked(ident)).add_attributes(attributes.into_iter().map(|(k, v)| attribute(k, v)))
}

/// An attribute; `key` is one of the exporter's own words, so it is not
/// checked again.
pub(crate) fn attribute(key: &str, value: Expression) -> Attribute {
    Attribute::new(Identifier::unchecked(key), value)
}

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
    let mut out = Vec::with_capacity(4096);
    let mut formatter = Formatter::builder().compact_arrays(false).compact_objects(true).build(&mut out);
    body.format(&mut formatter).map_err(|e| Error::Format(e.to_string()))?;
    String::from_utf8(out).map_err(|e| Error::Format(e.to_string()))
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
                    attr.key = Identifier::unchecked(format!("{:width$}", attr.key.as_str()));
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
    fn references_take_indexes() {
        let text = render(&mut Body::builder().add_attribute(attribute("v", reference("a", &["b", "0", "c"]))).build())
            .unwrap();
        assert_eq!(text, "v = a.b[0].c\n");
    }
}
