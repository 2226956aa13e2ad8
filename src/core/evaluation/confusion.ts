/**
 * Classification scores from true and predicted labels: the confusion matrix (rows are the
 * true class, columns the predicted one), overall accuracy and per-class recall. Pure numbers,
 * shared by `convscope evaluate` and the embedded model's training script.
 */

export interface ClassScore {
  index: number;
  label: string | null;
  count: number;
  correct: number;
  accuracy: number;
}

export interface Evaluation {
  count: number;
  correct: number;
  accuracy: number;
  /** confusion[true][predicted] = number of images. */
  confusion: number[][];
  perClass: ClassScore[];
}

/**
 * Scores predictions against the truth.
 * @example evaluate([0, 1, 1], [0, 1, 0], 2).accuracy // 2 / 3
 */
export function evaluate(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: number,
  labels?: readonly string[],
): Evaluation {
  if (truth.length !== predicted.length) {
    throw new Error(`${truth.length} labels but ${predicted.length} predictions`);
  }
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) confusion[truth[i]][predicted[i]]++;
  const correct = confusion.reduce((sum, row, i) => sum + row[i], 0);
  const perClass = confusion.map((row, index) => {
    const count = row.reduce((a, b) => a + b, 0);
    return {
      index,
      label: labels?.[index] ?? null,
      count,
      correct: row[index],
      accuracy: count === 0 ? 0 : row[index] / count,
    };
  });
  return {
    count: truth.length,
    correct,
    accuracy: truth.length === 0 ? 0 : correct / truth.length,
    confusion,
    perClass,
  };
}
