#!/usr/bin/env python3
"""Turns llama.cpp's tests/test-jinja.cpp into data: (name, template, variables, expected output).

The cases are C++ calls test_template(t, name, template, vars, expect) whose arguments use C++ string
literals and llama.cpp's common_json initializers. Rather than re-implementing C++ literal rules, this
compiles the test functions against a stub test_template that prints each case as JSON (with the same
common_json code the tests are written against), then renders every case with Python's jinja2 set up
as llama.cpp's own `test-jinja -py` cross-check does (SandboxedEnvironment, trim/lstrip blocks, loop
controls, tojson, raise_exception, strftime_now). The jinja2 output is what the Java test compares
with; llama.cpp's own expectation is kept beside it.

usage: extract_jinja_cases.py LLAMA_SRC_DIR LIBGGML_BASE_DIR OUT_JSON
"""
import json
import pathlib
import re
import subprocess
import sys
import tempfile
from datetime import datetime

import jinja2
import jinja2.ext as jinja2_ext
from jinja2.sandbox import SandboxedEnvironment

GROUPS = ["test_whitespace_control", "test_conditionals", "test_loops", "test_expressions", "test_set_statement",
          "test_filters", "test_literals", "test_comments", "test_macros", "test_namespace", "test_tests",
          "test_string_methods", "test_array_methods", "test_object_methods"]

HARNESS_HEAD = r'''
#include <iostream>
#include <string>
#include "json.h"
#include <nlohmann/json.hpp>
using json = common_json;
struct testing {};
static nlohmann::ordered_json g_cases = nlohmann::ordered_json::array();
static const char * g_group = "";
static void test_template(testing &, const std::string & name, const std::string & tmpl, const json & vars, const std::string & expect) {
    nlohmann::ordered_json c;
    c["group"] = g_group;
    c["name"] = name;
    c["template"] = tmpl;
    c["vars"] = nlohmann::ordered_json::parse(vars.dump());
    c["llama_expect"] = expect;
    g_cases.push_back(c);
}
'''


def function_body(source, name):
    start = source.index(f"static void {name}(testing & t) {{")
    depth, i = 0, source.index("{", start)
    while True:
        if source[i] == "{":
            depth += 1
        elif source[i] == "}":
            depth -= 1
            if depth == 0:
                return source[start:i + 1]
        elif source[i] == '"' or source.startswith('R"(', i):
            if source.startswith('R"(', i):
                i = source.index(')"', i + 3) + 1
            else:
                i += 1
                while source[i] != '"':
                    i += 2 if source[i] == "\\" else 1
        elif source.startswith("'", i) and source[i + 2] == "'":
            i += 2
        i += 1


def compile_cases(src, ggml_dir):
    test_source = (src / "tests/test-jinja.cpp").read_text()
    bodies = "\n".join(function_body(test_source, g) for g in GROUPS)
    main = "int main() {\n    testing t;\n" + "".join(
        f'    g_group = "{g[5:]}";\n    {g}(t);\n' for g in GROUPS) + "    std::cout << g_cases.dump() << std::endl;\n}\n"
    with tempfile.TemporaryDirectory() as tmp:
        cpp = pathlib.Path(tmp) / "harness.cpp"
        cpp.write_text(HARNESS_HEAD + bodies + "\n" + main)
        exe = pathlib.Path(tmp) / "harness"
        subprocess.run(["g++", "-std=c++17", "-O0", "-w", "-o", str(exe), str(cpp), str(src / "common/json.cpp"),
                        f"-I{src / 'common'}", f"-I{src / 'vendor'}", f"-I{src / 'ggml/include'}", f"-I{src / 'include'}",
                        f"-L{ggml_dir}", "-lggml-base", f"-Wl,-rpath,{ggml_dir}"], check=True)
        out = subprocess.run([str(exe)], check=True, capture_output=True).stdout
        return json.loads(out)


def environment():
    env = SandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2_ext.loopcontrols])

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    env.filters["tojson"] = lambda x, ensure_ascii=False, indent=None, separators=None, sort_keys=False: json.dumps(
        x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
    env.globals["strftime_now"] = lambda fmt: datetime(2026, 11, 21, 9, 30, 0).strftime(fmt)
    env.globals["raise_exception"] = raise_exception
    return env


def main():
    src, ggml_dir, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    cases = compile_cases(src, ggml_dir)
    env = environment()
    agree = 0
    for c in cases:
        try:
            c["output"] = env.from_string(c["template"]).render(**c["vars"])
            agree += c["output"] == c["llama_expect"]
        except Exception as e:
            c["error"] = f"{type(e).__name__}: {e}"
    out.write_text(json.dumps({"jinja2": jinja2.__version__, "cases": cases}, ensure_ascii=False, indent=1) + "\n")
    raised = sum(1 for c in cases if "error" in c)
    print(f"{len(cases)} cases; jinja2 raised on {raised}; llama.cpp's expectation equals jinja2's output in {agree}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
