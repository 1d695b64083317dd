/**
 * Who may run what: allow (runs at once), confirm (runs only after a spoken yes), deny. A tool the
 * registry does not know, or one without a policy, gets the default — deny unless configured.
 */
export type ToolDecision = 'allow' | 'confirm' | 'deny';

export interface ToolPolicyConfig {
  default: ToolDecision;
  policies: Record<string, ToolDecision>;
}

export function decide(name: string, known: boolean, cfg: ToolPolicyConfig): ToolDecision {
  if (!known) return 'deny';
  return cfg.policies[name] ?? cfg.default;
}

/** The customer's spoken answer to a confirmation question. */
export function classifyAnswer(text: string): 'yes' | 'no' | 'unclear' {
  const t = ` ${text.toLowerCase().replace(/[^a-z' ]+/g, ' ')} `;
  const no = /\b(no|nope|nah|don't|do not|cancel|stop|never mind|nevermind|not)\b/.test(t);
  const yes =
    /\b(yes|yeah|yep|yup|sure|ok|okay|correct|right|please do|go ahead|confirm|absolutely|that's right)\b/.test(
      t,
    );
  if (yes && !no) return 'yes';
  if (no && !yes) return 'no';
  return 'unclear';
}
