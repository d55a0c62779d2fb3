#!/usr/bin/env python3
"""Renders llama.cpp's real chat templates the way Hugging Face transformers does, as test data.

transformers compiles a chat template with jinja2's ImmutableSandboxedEnvironment(trim_blocks=True,
lstrip_blocks=True) plus the loopcontrols extension and a no-op {% generation %} tag, a `tojson`
filter that is json.dumps(ensure_ascii=False) with indent support, and the globals raise_exception and
strftime_now. This script does the same (strftime_now at a fixed instant, so output is stable) and
writes every (template, conversation, thinking) render, or the error it raised, to a JSON file that
the Java test compares against byte for byte.

usage: render_reference.py TEMPLATES_DIR CONVERSATIONS_JSON OUT_JSON
"""
import datetime
import json
import pathlib
import sys

import jinja2
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

FIXED_NOW = datetime.datetime(2026, 11, 21, 9, 30, 0)
BOS, EOS = "<s>", "</s>"


class GenerationTag(Extension):
    """transformers' AssistantTracker with tracking off: {% generation %}...{% endgeneration %} renders its body."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return FIXED_NOW.strftime(fmt)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[GenerationTag, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def main():
    templates_dir, conversations_file, out_file = map(pathlib.Path, sys.argv[1:4])
    conversations = json.loads(conversations_file.read_text())
    env = environment()
    cases = []
    for path in sorted(templates_dir.glob("*.jinja")):
        source = path.read_text()
        try:
            template = env.from_string(source)
        except jinja2.TemplateError as e:
            template, compile_error = None, f"{type(e).__name__}: {e}"
        for conv_name, conv in conversations.items():
            thinking_settings = [None, True, False] if conv_name == "plain" else [None]
            for thinking in thinking_settings:
                case = {"template": path.name, "conversation": conv_name, "enable_thinking": thinking}
                kwargs = {"messages": conv["messages"], "tools": conv.get("tools"), "documents": None,
                          "add_generation_prompt": True, "bos_token": BOS, "eos_token": EOS}
                if thinking is not None:
                    kwargs["enable_thinking"] = thinking
                if template is None:
                    case["error"] = compile_error
                else:
                    try:
                        case["output"] = template.render(**kwargs)
                    except Exception as e:  # what transformers would raise to its caller
                        case["error"] = f"{type(e).__name__}: {e}"
                cases.append(case)
    out_file.write_text(json.dumps({"jinja2": jinja2.__version__, "bos_token": BOS, "eos_token": EOS,
                                    "now": FIXED_NOW.isoformat(), "cases": cases},
                                   ensure_ascii=False, indent=1) + "\n")
    ok = sum(1 for c in cases if "output" in c)
    print(f"{len(cases)} renders, {ok} rendered, {len(cases) - ok} raised", file=sys.stderr)


if __name__ == "__main__":
    main()
