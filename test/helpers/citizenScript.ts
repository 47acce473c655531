/**
 * A scripted citizen of the "Công dân học tập" self-check, as typed text (every channel reads it):
 * greet, agree, then the 13 answers in order, then "1" to send. Answers vary by citizen so results
 * differ, but the path never branches (q2 is always 1 or 2, so q2_topic is never asked): every
 * citizen takes exactly CITIZEN_TURNS turns and gives CITIZEN_ANSWERS answers.
 */

export const CITIZEN_TURNS = 15;
export const CITIZEN_ANSWERS = 12;

/** The question each turn answers (undefined: greeting, consent, submit). */
export const QUESTION_OF_TURN: Array<string | undefined> = [
  undefined,
  undefined,
  'group',
  'commune',
  'q1',
  'q2',
  'q3',
  'q4',
  'q5',
  'q6',
  'q7',
  'q8',
  'q9',
  'q10',
  undefined,
];

/** A commune name typed by a citizen: a personal value that must never reach a log. */
export function communeOf(citizen: number): string {
  return `Phường Thử Nghiệm Số ${citizen % 997}`;
}

/** What citizen `citizen` types at turn `turn` (0-based, < CITIZEN_TURNS). */
export function citizenText(citizen: number, turn: number): string {
  switch (turn) {
    case 0:
      return 'xin chào';
    case 1:
      return '1';
    case 2:
      return String(1 + (citizen % 4));
    case 3:
      return communeOf(citizen);
    case 5:
      return String(1 + (citizen % 2));
    case 14:
      return '1';
    default:
      return String(1 + ((citizen * (turn + 3)) % 4));
  }
}
