#!/usr/bin/env python3
"""The `openai` package against `charnn serve`, unchanged but for base_url: models.list, a
non-streamed and a streamed completion, and an error. Run by ClientInteropTests, which passes
the server's port and the text `charnn sample` printed for the same settings.

Exit 0 when every check holds; each failure is printed."""
import argparse, sys

import openai
from openai import OpenAI

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--prime", required=True)
parser.add_argument("--seed", type=int, required=True)
parser.add_argument("--temperature", type=float, required=True)
parser.add_argument("--length", type=int, required=True)
parser.add_argument("--expected-file", required=True, help="what charnn sample printed after the prime")
args = parser.parse_args()
expected = open(args.expected_file, encoding="utf-8").read()
client = OpenAI(base_url=f"http://127.0.0.1:{args.port}/v1", api_key="not-needed", max_retries=0)
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


models = client.models.list().data
check(len(models) == 1 and models[0].owned_by == "charnn", f"models.list: {models}")
model = models[0].id

whole = client.completions.create(model=model, prompt=args.prime, max_tokens=args.length, seed=args.seed,
                                  temperature=args.temperature)
check(whole.choices[0].text == expected, f"completion equals charnn sample: {whole.choices[0].text!r}")
check(whole.usage.completion_tokens == args.length, f"usage: {whole.usage}")

chunks = list(client.completions.create(model=model, prompt=args.prime, max_tokens=args.length, seed=args.seed,
                                        temperature=args.temperature, stream=True))
streamed = "".join(choice.text for chunk in chunks for choice in chunk.choices)
# Text released while the server writes a chunk joins the next one, so a fast server may send all
# of it in one text chunk before the finish chunk: at least those two.
check(len(chunks) >= 2 and any(choice.text for choice in chunks[0].choices), f"streamed in {len(chunks)} chunks")
check(streamed == expected, f"streamed completion equals charnn sample: {streamed!r}")
check(chunks[-1].choices[0].finish_reason == "length", f"last chunk's finish_reason: {chunks[-1].choices[0]}")

try:
    client.completions.create(model=model, prompt=args.prime, max_tokens=5, temperature=-1)
    check(False, "temperature -1 accepted")
except openai.BadRequestError as error:
    check(error.status_code == 400 and "temperature" in str(error), f"temperature -1: {error}")

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
