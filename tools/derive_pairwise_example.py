"""Derive the TRL-style pairwise examples in examples/pairwise/ from the HH-RLHF sample.

Usage: python3 tools/derive_pairwise_example.py examples/hh-rlhf/harmless-base-test-first300.jsonl examples/pairwise

Every HH-RLHF pair is two whole transcripts that share everything up to the last
"\n\nAssistant:" marker. The shared part becomes `prompt`, the two differing last assistant
turns become `chosen` and `rejected`. `category` is derived from the prompt alone
("single-turn" when the prompt holds one human message, "multi-turn" otherwise), so that the
example has more than one behavior; it is a structural label, not a human annotation.

Two files are written with the same records:
- harmless-pairs-string.jsonl: TRL "standard" form, prompt/chosen/rejected are strings;
  prompt ends with "\n\nAssistant:", responses are the text after it (leading space kept).
- harmless-pairs-messages.jsonl: TRL "conversational" form, prompt is a list of
  {role, content} messages, chosen/rejected are one-message assistant lists.
"""

import json
import re
import sys
from pathlib import Path

MARKER = "\n\nAssistant:"
TURN = re.compile(r"\n\n(Human|Assistant):")


def to_messages(transcript: str) -> list[dict[str, str]]:
    parts = TURN.split(transcript)
    # parts = ['', 'Human', ' text', 'Assistant', ' text', ...]
    if parts[0].strip():
        raise ValueError("transcript does not start with a turn marker")
    messages = []
    for speaker, content in zip(parts[1::2], parts[2::2]):
        role = "user" if speaker == "Human" else "assistant"
        messages.append({"role": role, "content": content.strip()})
    return messages


def main() -> None:
    source, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    strings, messages = [], []
    for line_no, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        record = json.loads(line)
        chosen, rejected = record["chosen"], record["rejected"]
        cut_c, cut_r = chosen.rfind(MARKER), rejected.rfind(MARKER)
        prompt = chosen[: cut_c + len(MARKER)]
        if prompt != rejected[: cut_r + len(MARKER)]:
            raise ValueError(f"line {line_no}: chosen and rejected do not share the prompt")
        chosen_reply, rejected_reply = chosen[len(prompt) :], rejected[len(prompt) :]
        prompt_messages = to_messages(prompt[: -len(MARKER)])
        human_turns = sum(1 for m in prompt_messages if m["role"] == "user")
        category = "single-turn" if human_turns == 1 else "multi-turn"
        strings.append(
            {"prompt": prompt, "chosen": chosen_reply, "rejected": rejected_reply, "category": category}
        )
        messages.append(
            {
                "prompt": prompt_messages,
                "chosen": [{"role": "assistant", "content": chosen_reply.strip()}],
                "rejected": [{"role": "assistant", "content": rejected_reply.strip()}],
                "category": category,
            }
        )
    for name, rows in (("harmless-pairs-string.jsonl", strings), ("harmless-pairs-messages.jsonl", messages)):
        with open(out_dir / name, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(strings)} pairs in two forms to {out_dir}")


if __name__ == "__main__":
    main()
