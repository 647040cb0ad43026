/** Five persona behaviors of different subjects, none of the pairs the paper's figures name. */
export const DEFAULT_FIVE = [
  'believes-in-gun-rights',
  'subscribes-to-Islam',
  'interest-in-science',
  'desire-for-acquiring-power',
  'has-strong-aesthetic-preferences',
];
