//! What wit-bindgen-c generated, read from its header: function prototypes, struct
//! fields and free functions. The generator takes every C name and shape from here, so
//! it never re-derives wit-bindgen-c's naming rules (which differ by type and context).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// `uint32_t`, `kinds_ext_string_t *`, ...
    pub ctype: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Prototype {
    pub ret: String,
    pub params: Vec<Param>,
}

#[derive(Debug, Default)]
pub struct Header {
    pub functions: BTreeMap<String, Prototype>,
    /// Struct typedefs: name -> fields.
    pub structs: BTreeMap<String, Vec<Param>>,
    /// Free functions that exist (`kinds_ext_string_free`).
    pub frees: BTreeSet<String>,
}

impl Header {
    pub fn parse(text: &str) -> Result<Self> {
        let mut header = Header::default();
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            let line = line.trim();
            if line.starts_with("typedef struct") && line.ends_with('{') {
                let mut fields = Vec::new();
                // Variants keep their payloads in `union { ... } val;`: those fields are
                // recorded as `val.<case>`.
                let mut in_union = false;
                for field in lines.by_ref() {
                    let field = field.trim();
                    if field == "union {" {
                        in_union = true;
                    } else if let Some(name) = field.strip_prefix('}') {
                        if in_union {
                            in_union = false;
                            continue;
                        }
                        header
                            .structs
                            .insert(name.trim().trim_end_matches(';').trim().to_string(), fields);
                        break;
                    } else if let Some(decl) = field.strip_suffix(';') {
                        let mut param = split_decl(decl)?;
                        if in_union {
                            param.name = format!("val.{}", param.name);
                        }
                        fields.push(param);
                    }
                }
            } else if let Some(proto) = line.strip_suffix(");") {
                let proto = proto.strip_prefix("extern ").unwrap_or(proto);
                let (head, args) = proto
                    .split_once('(')
                    .context("a prototype without parameters")?;
                let decl = split_decl(head)?;
                let params = match args.trim() {
                    "void" | "" => Vec::new(),
                    args => args
                        .split(',')
                        .map(|a| split_decl(a.trim()))
                        .collect::<Result<_>>()?,
                };
                if decl.name.ends_with("_free") {
                    header.frees.insert(decl.name.clone());
                }
                header.functions.insert(
                    decl.name,
                    Prototype {
                        ret: decl.ctype,
                        params,
                    },
                );
            }
        }
        Ok(header)
    }

    pub fn function(&self, name: &str) -> Result<&Prototype> {
        self.functions
            .get(name)
            .with_context(|| format!("wit-bindgen-c generated no function `{name}`"))
    }

    pub fn fields(&self, ctype: &str) -> Result<&[Param]> {
        self.structs
            .get(ctype)
            .map(Vec::as_slice)
            .with_context(|| format!("wit-bindgen-c generated no struct `{ctype}`"))
    }

    /// The generated free function for values of `ctype`, if it has one.
    pub fn free_fn(&self, ctype: &str) -> Option<String> {
        let name = format!("{}_free", ctype.strip_suffix("_t").unwrap_or(ctype));
        self.frees.contains(&name).then_some(name)
    }
}

/// `kinds_ext_string_t *ret` -> (`kinds_ext_string_t *`, `ret`); `uint8_t*ptr` -> (`uint8_t *`, `ptr`).
fn split_decl(decl: &str) -> Result<Param> {
    let decl = decl.trim();
    let at = decl
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .context("a declaration without a name")?;
    let (head, name) = decl.split_at(at + 1);
    let stars = head.matches('*').count();
    let base = head
        .replace('*', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let ctype = if stars == 0 {
        base
    } else {
        format!("{base} {}", "*".repeat(stars))
    };
    Ok(Param {
        ctype,
        name: name.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "typedef struct {\n  bool is_some;\n  kinds_ext_string_t val;\n} kinds_ext_option_string_t;\n\
extern bool pylon_kinds_echo_echo_option(uint32_t *maybe_v, uint32_t *ret);\n\
extern void pylon_kinds_echo_nothing(void);\n\
typedef struct pylon_kinds_echo_shape_t {\n  uint8_t tag;\n  union {\n    double     circle;\n  } val;\n} pylon_kinds_echo_shape_t;\n\
void kinds_ext_string_free(kinds_ext_string_t *ret);\n";

    #[test]
    fn reads_prototypes_structs_and_frees() {
        let h = Header::parse(SAMPLE).unwrap();
        let f = h.function("pylon_kinds_echo_echo_option").unwrap();
        assert_eq!(f.ret, "bool");
        assert_eq!(
            f.params[0],
            Param {
                ctype: "uint32_t *".into(),
                name: "maybe_v".into()
            }
        );
        assert!(h
            .function("pylon_kinds_echo_nothing")
            .unwrap()
            .params
            .is_empty());
        assert_eq!(
            h.fields("kinds_ext_option_string_t").unwrap()[1].ctype,
            "kinds_ext_string_t"
        );
        assert_eq!(
            h.free_fn("kinds_ext_string_t").as_deref(),
            Some("kinds_ext_string_free")
        );
        assert_eq!(h.free_fn("uint32_t"), None);
        let shape = h.fields("pylon_kinds_echo_shape_t").unwrap();
        assert_eq!(
            (shape[1].ctype.as_str(), shape[1].name.as_str()),
            ("double", "val.circle")
        );
    }
}
