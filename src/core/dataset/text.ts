/** A chat message as TRL's conversational format writes it. */
export interface ChatMessage {
  role: string;
  content: string;
}

const ROLE_LABELS: Record<string, string> = {
  user: 'User',
  human: 'User',
  assistant: 'Assistant',
  gpt: 'Assistant',
  system: 'System',
};

/**
 * The embedded text of a conversation: one "Role: content" block per message, blocks separated
 * by a blank line ("User: ...\n\nAssistant: ..."), close to how chat transcripts read.
 */
export function renderMessages(messages: readonly ChatMessage[]): string {
  return messages
    .map((m) => `${ROLE_LABELS[m.role.toLowerCase()] ?? capitalize(m.role)}: ${m.content.trim()}`)
    .join('\n\n');
}

/**
 * Prompt and response strings are concatenated the way TRL concatenates them, except that a
 * newline is put between them when neither side brings its own whitespace ("2+2?" + "4").
 */
export function joinPromptResponse(prompt: string, response: string): string {
  if (prompt === '' || /\s$/.test(prompt) || /^\s/.test(response)) return prompt + response;
  return `${prompt}\n${response}`;
}

/** Report-sized excerpt: whitespace collapsed, cut at `max` characters with an ellipsis. */
export function excerpt(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function capitalize(role: string): string {
  return role.length === 0 ? 'Message' : role[0].toUpperCase() + role.slice(1);
}
