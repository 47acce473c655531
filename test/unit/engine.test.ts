import { describe, expect, it } from 'vitest';
import type { Output } from '../../src/engine/types.ts';
import { Driver } from '../helpers/driver.ts';
import { loadFlow } from '../helpers/flows.ts';

const allTypes = loadFlow('test/fixtures/flows-valid/all-types.yaml');
const cdht = loadFlow('flows/cong-dan-hoc-tap.yaml');

function resultOf(outputs: Output[]) {
  const r = outputs.find((o) => o.kind === 'result');
  return r?.kind === 'result' ? r.result : undefined;
}

/** Answers all-types up to the summary. */
function fillAllTypes(d: Driver, opts: { pick?: string; yn?: string } = {}) {
  d.agree();
  d.send(opts.pick ?? 'Rất tốt');
  d.send(opts.yn ?? 'có');
  if ((opts.yn ?? 'có') === 'không') d.send('bận');
  d.send('10');
  d.send('9');
  d.send('85,5');
  d.send('25/11/2026');
}

describe('consent', () => {
  it('asks for consent first and stores nothing before it', () => {
    const d = new Driver([allTypes]);
    const out = d.send('xin chào');
    expect(d.scope).toBe('consent');
    expect(d.text).toContain('đồng ý');
    expect(out[0]).toMatchObject({ kind: 'message', choices: [{ id: 'agree' }, { id: 'decline' }] });
    expect(d.effects).toEqual([]);
    expect(d.state.consent).toBe('pending');
  });

  it('declining keeps nothing and explains how to come back', () => {
    const d = new Driver([allTypes]);
    d.send('xin chào');
    d.send('Không đồng ý');
    expect(d.text).toContain('không lưu');
    expect(d.effects).toEqual([]);
    expect(d.state.consent).toBe('pending');
  });

  it('agreeing by typed words without diacritics starts the only flow', () => {
    const d = new Driver([allTypes]);
    d.send('/start');
    d.send('dong y');
    expect(d.effects.map((e) => e.kind)).toEqual(['consentGiven', 'flowStarted']);
    expect(d.scope).toBe('pick');
    expect(d.text).toContain('Câu 1/');
  });

  it('offers a menu when several flows are available', () => {
    const d = new Driver([allTypes, cdht]);
    d.agree();
    expect(d.scope).toBe('menu');
    d.send('2');
    expect(d.state.flow?.flowId).toBe('cong-dan-hoc-tap');
  });
});

describe('question types', () => {
  it('single choice by number, label, label without diacritics, and unique prefix', () => {
    for (const typed of ['1', 'Rất tốt', 'rat tot', 'RẤT TỐT', 'rat']) {
      const d = new Driver([allTypes]);
      d.agree();
      d.send(typed);
      expect(d.state.flow?.answers.pick?.value, typed).toBe('a');
    }
  });

  it('re-prompts an unknown choice with the accepted options', () => {
    const d = new Driver([allTypes]);
    d.agree();
    const out = d.send('tuyệt vời');
    expect(d.text).toContain('chưa hợp lệ');
    expect(d.text).toContain('từ 1 đến 3');
    expect(out.at(-1)).toMatchObject({ choices: [{ label: 'Rất tốt' }, { label: 'Khá' }, { label: 'Chưa tốt' }] });
    expect(d.scope).toBe('pick');
    expect(d.state.flow?.answers.pick).toBeUndefined();
  });

  it('yes/no accepts có, co, c, Không, khong, k', () => {
    const cases: Array<[string, string]> = [['có', 'yes'], ['co', 'yes'], ['c', 'yes'], ['Có', 'yes'], ['Không', 'no'], ['khong', 'no'], ['k', 'no']];
    for (const [typed, value] of cases) {
      const d = new Driver([allTypes]);
      d.agree();
      d.send('1');
      d.send(typed);
      expect(d.state.flow?.answers.yn?.value, typed).toBe(value);
    }
  });

  it('a conditional question appears only when its condition holds', () => {
    const yes = new Driver([allTypes]);
    yes.agree();
    yes.send('1');
    yes.send('có');
    expect(yes.scope).toBe('members');
    const no = new Driver([allTypes]);
    no.agree();
    no.send('1');
    no.send('không');
    expect(no.scope).toBe('why');
  });

  it('short text respects its maximum length', () => {
    const d = new Driver([allTypes]);
    d.agree();
    d.send('1');
    d.send('không');
    d.send('x'.repeat(21));
    expect(d.text).toContain('dài quá 20 ký tự');
    d.send('bận việc');
    expect(d.state.flow?.answers.why?.value).toBe('bận việc');
  });

  it('whole numbers: range, decimals refused, percentages refused where a count is asked', () => {
    const d = new Driver([allTypes]);
    d.agree();
    d.send('1');
    d.send('có');
    d.send('0');
    expect(d.text).toContain('từ 1 trở lên');
    d.send('1001');
    expect(d.text).toContain('không được lớn hơn 1.000');
    d.send('12,5');
    expect(d.text).toContain('số nguyên');
    d.send('90%');
    expect(d.text).toContain('không phải tỉ lệ phần trăm');
    d.send('1.000');
    expect(d.state.flow?.answers.members?.value).toBe(1000);
  });

  it('a count bounded by an earlier answer is re-asked with the reason', () => {
    const d = new Driver([allTypes]);
    d.agree();
    d.send('1');
    d.send('có');
    d.send('10');
    d.send('11');
    expect(d.text).toContain('không thể lớn hơn số đã trả lời ở câu trước: 10');
    d.send('-1');
    expect(d.text).toContain('từ 0 trở lên');
    d.send('10');
    expect(d.state.flow?.answers.passed?.value).toBe(10);
  });

  it('decimal/percentage with a comma as decimal separator', () => {
    const d = new Driver([allTypes]);
    fillAllTypes(d);
    expect(d.state.flow?.answers.rate?.value).toBe(85.5);
    const e = new Driver([allTypes]);
    e.agree();
    for (const t of ['1', 'có', '10', '9']) e.send(t);
    e.send('101');
    expect(e.text).toContain('không được lớn hơn 100');
    e.send('abc');
    expect(e.text).toContain('tỉ lệ %');
  });

  it('dates as dd/mm/yyyy, real calendar days, within bounds', () => {
    const d = new Driver([allTypes]);
    d.agree();
    for (const t of ['1', 'có', '10', '9', '50']) d.send(t);
    d.send('31/02/2026');
    expect(d.text).toContain('ngày/tháng/năm');
    d.send('2026-11-25');
    expect(d.text).toContain('ngày/tháng/năm');
    d.send('01/01/2019');
    expect(d.text).toContain('từ 01/01/2020');
    d.send('5/3/2026');
    expect(d.state.flow?.answers.day?.value).toBe('2026-03-05');
    expect(d.scope).toBe('confirm');
  });
});

describe('commune questions', () => {
  const communes = [
    { code: 'MAU-01', name: 'Phường Trung Tâm' },
    { code: 'MAU-02', name: 'Xã Phú Thạnh' },
    { code: 'MAU-05', name: 'Xã Phú Thạnh Đông' },
  ];
  const ask = (typed: string) => {
    const d = new Driver([cdht]);
    d.communes = communes;
    d.agree();
    d.send('1');
    d.send(typed);
    return d;
  };

  it('matches the name with or without diacritics or the "xã/phường" prefix, storing the code', () => {
    for (const typed of ['Phường Trung Tâm', 'phuong trung tam', 'Trung Tâm', 'P. Trung Tâm']) {
      expect(ask(typed).state.flow?.answers.commune, typed).toEqual({ raw: typed, value: 'MAU-01' });
    }
    expect(ask('Xã Phú Thạnh').state.flow?.answers.commune?.value).toBe('MAU-02');
  });

  it('asks again when a partial name fits several communes', () => {
    const d = ask('phu thanh d');
    expect(d.state.flow?.answers.commune?.value).toBe('MAU-05');
    const e = ask('Phú Thạ');
    expect(e.state.flow?.answers.commune).toBeUndefined();
    expect(e.text).toContain('Xã Phú Thạnh; Xã Phú Thạnh Đông');
  });

  it('keeps a name that is not on the list as typed, without a code', () => {
    expect(ask('Phường 7 cũ').state.flow?.answers.commune).toEqual({ raw: 'Phường 7 cũ', value: 'Phường 7 cũ' });
  });

  it('asks for the name in words when only a number or signs were typed, with or without a list', () => {
    for (const typed of ['2', '7.', '--']) {
      const d = ask(typed);
      expect(d.state.flow?.answers.commune, typed).toBeUndefined();
      expect(d.scope).toBe('commune');
      expect(d.text).toContain('Vui lòng gõ tên xã, phường hoặc đặc khu bằng chữ, ví dụ: Phường Trung Tâm.');
    }
    const d = new Driver([cdht]);
    d.agree();
    d.send('1');
    d.send('2');
    expect(d.state.flow?.answers.commune).toBeUndefined();
    expect(d.text).toContain('Vui lòng gõ tên xã, phường hoặc đặc khu bằng chữ.');
    d.send('Phường 2');
    expect(d.state.flow?.answers.commune).toEqual({ raw: 'Phường 2', value: 'Phường 2' });
  });
});

describe('commands', () => {
  it('shows progress "Câu n/N"', () => {
    const d = new Driver([cdht]);
    d.agree();
    expect(d.text).toMatch(/Câu 1\/13\./);
    d.send('1');
    expect(d.text).toMatch(/Câu 2\/13\./);
  });

  it('quay lại goes to the previous question and keeps the answer until replaced', () => {
    const d = new Driver([allTypes]);
    d.agree();
    d.send('1');
    expect(d.scope).toBe('yn');
    d.send('quay lại');
    expect(d.scope).toBe('pick');
    expect(d.text).toContain('Câu trả lời hiện tại: Rất tốt');
    d.send('/back');
    expect(d.text).toContain('câu hỏi đầu tiên');
    d.send('2');
    expect(d.state.flow?.answers.pick?.value).toBe('b');
    expect(d.scope).toBe('yn');
  });

  it('sửa N edits an earlier answer and returns to the summary', () => {
    const d = new Driver([allTypes]);
    fillAllTypes(d);
    expect(d.scope).toBe('confirm');
    expect(d.text).toContain('1. Chọn một phương án: Rất tốt');
    d.send('sửa 1');
    expect(d.scope).toBe('pick');
    d.send('Khá');
    expect(d.scope).toBe('confirm');
    expect(d.text).toContain('1. Chọn một phương án: Khá');
    d.send('sua 99');
    expect(d.text).toContain('Không có câu số 99');
  });

  it('an edit that opens a branch asks the new question before the summary; closing it drops the answer', () => {
    const d = new Driver([allTypes]);
    fillAllTypes(d);
    d.send('sửa 2');
    d.send('không');
    expect(d.scope).toBe('why');
    d.send('bận');
    expect(d.scope).toBe('confirm');
    d.send('sửa 2');
    const from = d.effects.length;
    d.send('có');
    expect(d.state.flow?.answers.why).toBeUndefined();
    // The stored response must let it go too, in the same turn, after the new answer.
    expect(d.effects.slice(from)).toEqual([
      expect.objectContaining({ kind: 'answerRecorded', questionId: 'yn' }),
      { kind: 'answersDropped', flowId: 'all-types', questionIds: ['why'] },
    ]);
  });

  it('an edit that puts a count over its new bound drops it in an effect, and asks it again', () => {
    const d = new Driver([allTypes]);
    fillAllTypes(d);
    d.send('sửa 3');
    expect(d.scope).toBe('members');
    let from = d.effects.length;
    d.send('5');
    expect(d.effects.slice(from)).toEqual([
      expect.objectContaining({ kind: 'answerRecorded', questionId: 'members' }),
      { kind: 'answersDropped', flowId: 'all-types', questionIds: ['passed'] },
    ]);
    expect(d.scope).toBe('passed');
    // An answer that breaks nothing drops nothing.
    from = d.effects.length;
    d.send('4');
    expect(d.effects.slice(from).map((e) => e.kind)).toEqual(['answerRecorded']);
  });

  it('làm lại asks to confirm, then starts over', () => {
    const d = new Driver([allTypes]);
    d.agree();
    d.send('1');
    d.send('làm lại');
    expect(d.scope).toBe('restart');
    d.send('không');
    expect(d.state.flow?.answers.pick?.value).toBe('a');
    d.send('/restart');
    d.tap('yes', 'restart');
    expect(d.state.flow?.answers).toEqual({});
    expect(d.scope).toBe('pick');
    expect(d.effects.filter((e) => e.kind === 'flowCancelled')).toHaveLength(1);
  });

  it('hủy cancels the flow; bắt đầu starts again', () => {
    const d = new Driver([allTypes]);
    d.agree();
    d.send('1');
    d.send('hủy');
    expect(d.state.flow).toBeUndefined();
    expect(d.text).toContain('Đã dừng');
    d.send('/start');
    expect(d.scope).toBe('pick');
  });

  it('bắt đầu during a flow resumes it', () => {
    const d = new Driver([allTypes]);
    d.agree();
    d.send('1');
    d.send('bắt đầu');
    expect(d.text).toContain('đang làm dở');
    expect(d.scope).toBe('yn');
  });

  it('trợ giúp lists the commands and repeats the question', () => {
    const d = new Driver([allTypes]);
    d.agree();
    d.send('/help');
    expect(d.text).toContain('sửa 3');
    expect(d.text).toContain('xóa dữ liệu');
    expect(d.scope).toBe('pick');
  });

  it('an unknown slash command gets a clear answer and the question again', () => {
    const d = new Driver([allTypes]);
    d.agree();
    d.send('/foo');
    expect(d.text).toContain('chưa hiểu lệnh "/foo"');
    expect(d.scope).toBe('pick');
  });

  it('stickers, photos and empty text are answered politely and the flow goes on', () => {
    const d = new Driver([allTypes]);
    d.agree();
    d.send({ kind: 'unsupported', what: 'sticker' });
    expect(d.text).toContain('chỉ đọc được tin nhắn chữ');
    expect(d.scope).toBe('pick');
    d.send('   ');
    expect(d.text).toContain('chưa nhận được nội dung');
    expect(d.scope).toBe('pick');
  });

  it('a tap on an old question button is not recorded and explains how to edit', () => {
    const d = new Driver([allTypes]);
    d.agree();
    d.tap('a', 'pick');
    d.tap('c', 'pick');
    expect(d.text).toContain('sửa');
    expect(d.state.flow?.answers.pick?.value).toBe('a');
    expect(d.effects.filter((e) => e.kind === 'answerRecorded')).toHaveLength(1);
  });

  it('an old "Có" button of another question never confirms a deletion', () => {
    const d = new Driver([allTypes]);
    d.agree();
    d.send('1');
    d.send('xóa dữ liệu');
    d.tap('yes', 'yn');
    expect(d.effects.some((e) => e.kind === 'deleteMyData')).toBe(false);
    expect(d.state.consent).toBe('given');
  });

  it('xóa dữ liệu asks for confirmation, then deletes and forgets consent', () => {
    const d = new Driver([allTypes]);
    d.agree();
    d.send('1');
    d.send('xóa dữ liệu');
    expect(d.scope).toBe('delete');
    d.send('có');
    expect(d.effects.at(-1)).toEqual({ kind: 'deleteMyData' });
    expect(d.state).toEqual({ v: 1, consent: 'pending' });
    d.send('hello');
    expect(d.scope).toBe('consent');
  });
});

describe('summary, submission and result', () => {
  it('the summary numbers the visible questions and shows each answer as the person gave it', () => {
    const long = 'Số thành viên của đơn vị đã tham gia ít nhất một khoá học trực tuyến hoặc trực tiếp trong năm qua là bao nhiêu người?';
    const flow = {
      ...allTypes,
      questions: allTypes.questions.map((q) => {
        if (q.id === 'pick') return { ...q, short: 'Phương án', fromContext: 'pick' };
        if (q.id === 'members') return { ...q, text: long };
        if (q.id === 'rate') return { ...q, variants: [{ when: { question: 'yn', equals: 'no' }, text: 'Tỉ lệ thành viên chưa đồng ý?' }] };
        return q;
      }),
    };
    const footer = 'Anh/Chị kiểm tra lại. Chọn "Gửi" để nộp và xem kết quả, hoặc gõ "sửa <số câu>" để sửa (ví dụ: sửa 2).';
    const summaryAfter = (yn: string, context: Record<string, string>) => {
      const d = new Driver([flow], context);
      d.agree();
      if (!context.pick) d.send('2');
      d.send(yn);
      if (yn === 'không') d.send('bận');
      for (const answer of ['10', '9', '85,5', '25/11/2026']) d.send(answer);
      expect(d.scope).toBe('confirm');
      return d.text.split('\n');
    };

    // The short name, a long wording cut at 70 characters, a choice by its label, units and dates.
    expect(summaryAfter('có', {})).toEqual([
      'Tóm tắt câu trả lời — Bộ câu hỏi thử:',
      '1. Phương án: Khá',
      '2. Anh/Chị có đồng ý không?: Có',
      '3. Số thành viên của đơn vị đã tham gia ít nhất một khoá học trực tuyến…: 10',
      '4. Số thành viên đạt?: 9',
      '5. Tỉ lệ?: 85,5%',
      '6. Ngày bắt đầu?: 25/11/2026',
      '',
      footer,
    ]);
    // A branch opened: its question takes a number and the numbering moves on; a wording that
    // depends on an answer is shown as asked; a choice filled from the unit's profile says so.
    expect(summaryAfter('không', { pick: 'b' })).toEqual([
      'Tóm tắt câu trả lời — Bộ câu hỏi thử:',
      '1. Phương án: Khá (theo hồ sơ đơn vị)',
      '2. Anh/Chị có đồng ý không?: Không',
      '3. Vì sao?: bận',
      '4. Số thành viên của đơn vị đã tham gia ít nhất một khoá học trực tuyến…: 10',
      '5. Số thành viên đạt?: 9',
      '6. Tỉ lệ thành viên chưa đồng ý?: 85,5%',
      '7. Ngày bắt đầu?: 25/11/2026',
      '',
      footer,
    ]);
  });

  it('the summary numbers a choice after a hidden question by what is shown, not by its place in the flow', () => {
    const order = ['yn', 'why', 'pick', 'members', 'passed', 'rate', 'day'];
    const flow = { ...allTypes, questions: order.map((id) => allTypes.questions.find((q) => q.id === id)!) };
    const linesAfter = (yn: string) => {
      const d = new Driver([flow]);
      d.agree();
      d.send(yn);
      if (yn === 'không') d.send('bận');
      for (const answer of ['2', '10', '9', '85,5', '25/11/2026']) d.send(answer);
      expect(d.scope).toBe('confirm');
      return d.text.split('\n').filter((l) => /^\d+\. /.test(l));
    };
    // "Vì sao?" is hidden after "có": the choice question is then the second line, not the third.
    expect(linesAfter('có').slice(0, 2)).toEqual(['1. Anh/Chị có đồng ý không?: Có', '2. Chọn một phương án: Khá']);
    expect(linesAfter('không').slice(0, 3)).toEqual(['1. Anh/Chị có đồng ý không?: Không', '2. Vì sao?: bận', '3. Chọn một phương án: Khá']);
  });

  it('submits after the summary and explains the result', () => {
    const d = new Driver([allTypes]);
    fillAllTypes(d);
    const out = d.tap('submit', 'confirm');
    const r = resultOf(out);
    expect(r).toMatchObject({ flow: 'all-types', flowVersion: '1', passed: true, score: 100 });
    expect(d.text).toContain('Tổng điểm: 100/100');
    expect(d.state.flow).toBeUndefined();
    expect(d.state.lastResult?.score).toBe(100);
    d.send('xem kết quả');
    expect(d.text).toContain('KẾT QUẢ');
  });

  it('typed "gửi" also submits', () => {
    const d = new Driver([allTypes]);
    fillAllTypes(d);
    d.send('gửi');
    expect(resultOf(d.last)?.passed).toBe(true);
  });

  it('an indicator under 5 fails the whole check even with enough points; advice is given', () => {
    const d = new Driver([allTypes]);
    fillAllTypes(d, { pick: 'Chưa tốt' });
    d.send('gửi');
    const r = resultOf(d.last)!;
    expect(r.score).toBe(42);
    expect(r.passed).toBe(false);
    expect(d.text).toContain('Làm việc một.');
    expect(d.text).toContain('cần ít nhất 5 điểm');
  });

  it('a flow file changed mid-conversation keeps the answers that still fit', () => {
    const d = new Driver([allTypes]);
    d.agree();
    d.send('1');
    const changed = { ...allTypes, version: '2', questions: allTypes.questions.filter((q) => q.id !== 'yn') };
    const d2 = new Driver([changed]);
    d2.state = d.state;
    // The question on screen ("yn") no longer exists: the input is not taken for another question.
    d2.send('có');
    expect(d2.text).toContain('vừa được cập nhật');
    expect(d2.state.flow?.flowVersion).toBe('2');
    expect(d2.state.flow?.answers.pick?.value).toBe('a');
    expect(d2.scope).toBe('members');
    d2.send('10');
    expect(d2.state.flow?.answers.members?.value).toBe(10);
  });

  it('answers a new flow version no longer has are dropped in an effect', () => {
    const d = new Driver([allTypes]);
    d.agree();
    d.send('1');
    d.send('có');
    const changed = { ...allTypes, version: '2', questions: allTypes.questions.filter((q) => q.id !== 'yn') };
    const d2 = new Driver([changed]);
    d2.state = d.state;
    d2.send('10');
    expect(d2.effects).toEqual([
      { kind: 'answersDropped', flowId: 'all-types', questionIds: ['yn'] },
      expect.objectContaining({ kind: 'answerRecorded', questionId: 'members' }),
    ]);
    expect(Object.keys(d2.state.flow!.answers)).toEqual(['pick', 'members']);
  });
});

describe('Công dân học tập flow', () => {
  const answerAll = (d: Driver, choice: string) => {
    d.agree();
    d.send('1');
    d.send('Xã Tân Phú');
    for (let i = 0; i < 10; i++) d.send(choice);
    return d.send('gửi');
  };

  it('all top answers pass with 100 points', () => {
    const d = new Driver([cdht]);
    const r = resultOf(answerAll(d, '1'))!;
    expect(r).toMatchObject({ passed: true, score: 100, maxScore: 100 });
    expect(r.criteria.map((c) => c.score)).toEqual([40, 40, 20]);
    expect(d.text).toContain('tham khảo');
    expect(d.text).toContain('Hội Khuyến học');
  });

  it('80 points pass, 79 fail; an indicator at 0 fails whatever the total', () => {
    const d = new Driver([cdht]);
    const r = resultOf(answerAll(d, '2'))!; // 8 points each
    expect(r).toMatchObject({ passed: true, score: 80 });
    const low = new Driver([cdht]);
    low.agree();
    low.send('1');
    low.send('Xã Tân Phú');
    low.send('3'); // q1: 5 points
    low.send('1'); // q2: 10
    for (let i = 0; i < 8; i++) low.send('2'); // 8 × 8 = 64
    const r2 = resultOf(low.send('gửi'))!;
    expect(r2.score).toBe(79);
    expect(r2.passed).toBe(false);
    const zero = new Driver([cdht]);
    zero.agree();
    zero.send('1');
    zero.send('Xã Tân Phú');
    zero.send('4'); // q1: 0 points
    for (let i = 0; i < 9; i++) zero.send('1');
    const r3 = resultOf(zero.send('gửi'))!;
    expect(r3.score).toBe(90);
    expect(r3.passed).toBe(false);
    expect(r3.indicators.find((i) => i.id === 'CS1')).toMatchObject({ met: false, score: 0 });
  });

  it('uses the wording of the chosen target group', () => {
    const d = new Driver([cdht]);
    d.agree();
    d.send('Học sinh, sinh viên, người học');
    d.send('Phường 1');
    d.send('1');
    expect(d.text).toContain('Ngoài chương trình ở trường');
  });
});
