/**
 * The DPO-family losses of TRL's DPOTrainer (trl/trainer/dpo_trainer.py, `dpo_loss`, loss_type
 * 'sigmoid' | 'ipo' | 'hinge' | 'robust'), each written once: its value and its slope.
 *
 * z = (log pi(y_w) - log pi(y_l)) - (log pi_ref(y_w) - log pi_ref(y_l)) is TRL's `logits`. In the
 * head-only simulation z = s * (w(t) - w(0)) . g(x) (simulate.ts), and the code works with the
 * scaled margin m = beta * z, which the default sigmoid loss needs anyway. With eps the label
 * smoothing:
 *
 * - sigmoid (DPO, Rafailov et al. 2023; cDPO with eps > 0):
 *     l = -(1 - eps) log sigma(m) - eps log sigma(-m)
 * - ipo (Azar et al. 2023, TRL: `(logits - 1 / (2 * beta)) ** 2`):
 *     l = (z - 1/(2 beta))^2,   z = m / beta
 * - hinge (SLiC, Zhao et al. 2023, TRL: `relu(1 - beta * logits)`):
 *     l = max(0, 1 - m)
 * - robust (rDPO, Chowdhury et al. 2024):
 *     l = ((1 - eps)(-log sigma(m)) + eps log sigma(-m)) / (1 - 2 eps)
 *
 * `weight(m)` is -dl/dm, so dl/dz = -beta * weight(m): the SGD step of the simulation moves the
 * boundary by 2 lr beta mean(weight(m) s g) (simulate.ts). For sigmoid with eps = 0 the functions
 * are softplusNeg and sigmoidNeg themselves, so the default numbers are unchanged to the last bit.
 */

export type DpoLossName = 'sigmoid' | 'ipo' | 'hinge' | 'robust';

export const DPO_LOSS_NAMES: readonly DpoLossName[] = ['sigmoid', 'ipo', 'hinge', 'robust'];

export interface DpoLoss {
  readonly name: DpoLossName;
  readonly labelSmoothing: number;
  /** l at the scaled margin m = beta * z. */
  readonly value: (m: number) => number;
  /** -dl/dm at m = beta * z (dl/dz = -beta * weight). */
  readonly weight: (m: number) => number;
}

/** -log sigmoid(z) = log(1 + e^-z), written to stay finite for large |z|. */
export function softplusNeg(z: number): number {
  return z > 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z));
}

/** sigma(-z) = -d/dz softplusNeg(z). */
export function sigmoidNeg(z: number): number {
  return 1 / (1 + Math.exp(z));
}

/**
 * Whether the loss has a label smoothing eps. TRL ignores eps for ipo and hinge (with a warning);
 * here that combination is an error, so that a report never names an eps that had no effect.
 */
export const labelSmoothingApplies = (name: DpoLossName): boolean =>
  name === 'sigmoid' || name === 'robust';

/** The loss `name` with DPO temperature `beta` and label smoothing `eps` (0 <= eps < 1/2). */
export function dpoLoss(name: DpoLossName, beta: number, eps = 0): DpoLoss {
  if (!DPO_LOSS_NAMES.includes(name)) throw new RangeError(`unknown DPO loss ${String(name)}`);
  if (!(eps >= 0 && eps < 0.5)) throw new RangeError(`label smoothing ${eps} is not in [0, 0.5)`);
  if (eps !== 0 && !labelSmoothingApplies(name))
    throw new RangeError(`the ${name} loss has no label smoothing (got ${eps})`);
  const labelSmoothing = eps;
  switch (name) {
    case 'sigmoid':
      if (eps === 0) return { name, labelSmoothing, value: softplusNeg, weight: sigmoidNeg };
      return {
        name,
        labelSmoothing,
        value: (m) => (1 - eps) * softplusNeg(m) + eps * softplusNeg(-m),
        // d/dm softplusNeg(m) = -sigma(-m), d/dm softplusNeg(-m) = sigma(m).
        weight: (m) => (1 - eps) * sigmoidNeg(m) - eps * sigmoidNeg(-m),
      };
    case 'ipo': {
      const target = 1 / (2 * beta);
      return {
        name,
        labelSmoothing,
        value: (m) => (m / beta - target) ** 2,
        // dl/dz = 2 (z - 1/(2 beta)); weight = -(dl/dz) / beta.
        weight: (m) => (-2 * (m / beta - target)) / beta,
      };
    }
    case 'hinge':
      return {
        name,
        labelSmoothing,
        value: (m) => Math.max(0, 1 - m),
        // The subgradient torch's relu takes: 0 at the kink m = 1.
        weight: (m) => (m < 1 ? 1 : 0),
      };
    case 'robust': {
      const scale = 1 - 2 * eps;
      return {
        name,
        labelSmoothing,
        // log sigma(-m) = -softplusNeg(-m).
        value: (m) => ((1 - eps) * softplusNeg(m) - eps * softplusNeg(-m)) / scale,
        weight: (m) => ((1 - eps) * sigmoidNeg(m) + eps * sigmoidNeg(-m)) / scale,
      };
    }
  }
}

/**
 * |dl/dz| at z = 0: the weight of every example in the first SGD step. The reference policy is the
 * start head, so z = 0 for every example before the first step, and the first step is
 * -lr * |dl/dz|(0) * (the sigmoid-free DPO direction): sigmoid beta (1 - 2 eps) / 2, ipo 1 / beta,
 * hinge beta, robust beta / (2 (1 - 2 eps)). The same positive factor for every example, so the
 * first step's direction, and the priority levels that describe it, do not depend on the loss.
 */
export function firstStepWeight(loss: DpoLoss, beta: number): number {
  return Math.abs(beta * loss.weight(0));
}
