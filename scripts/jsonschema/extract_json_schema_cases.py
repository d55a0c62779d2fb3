#!/usr/bin/env python3
"""Turns llama.cpp's tests/test-json-schema-to-grammar.cpp into data: (status, name, schema, grammar).

Every case in that file is a call test({SUCCESS|FAILURE, "name", R\"\"\"(schema)\"\"\", R\"\"\"(grammar)\"\"\"})
whose strings are C++ raw literals (or plain literals without escapes), so a regular expression reads them.
The expected grammar is trimmed the way the C++ test compares it (leading indentation of every line removed).

usage: extract_json_schema_cases.py LLAMA_CPP_SOURCE_DIR OUT_JSON
"""
import json
import re
import sys

CASE = re.compile(r'test\(\{\s*(SUCCESS|FAILURE),\s*"((?:[^"\\]|\\.)*)",\s*'
                  r'(?:R"""\((?P<rs>.*?)\)"""|"(?P<ps>[^"\\]*)"),\s*'
                  r'(?:R"""\((?P<rg>.*?)\)"""|"(?P<pg>[^"\\]*)")\s*\}\);', re.S)


def trim(text):
    """As the test's trim(): strip the ends, then the indentation of every line."""
    return re.sub(r'(^|\n)[ \t]+', r'\1', text.strip(' \n\r\t'))


def main(src_dir, out_path):
    source = open(f"{src_dir}/tests/test-json-schema-to-grammar.cpp", encoding="utf-8").read()
    body = source[source.index("static void test_all"):source.index("int main")]
    expected_calls = body.count("test({")
    cases = []
    for m in CASE.finditer(body):
        schema = m.group("rs") if m.group("rs") is not None else m.group("ps")
        grammar = m.group("rg") if m.group("rg") is not None else m.group("pg")
        cases.append({"status": m.group(1), "name": m.group(2), "schema": schema.strip(), "grammar": trim(grammar)})
    if len(cases) != expected_calls:
        sys.exit(f"extracted {len(cases)} cases but the file has {expected_calls} test calls")
    with open(out_path, "w", encoding="utf-8") as out:
        json.dump(cases, out, indent=1, ensure_ascii=False)
        out.write("\n")
    print(f"{len(cases)} cases -> {out_path}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
