import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module of the CI scripts, without types
import { auditVerdict } from '../../.ci/audit.mjs';

/** The CI step that runs `npm audit --omit=dev`: red on high or critical, and never "clean" unchecked. */

const report = (vulnerabilities: Record<string, { name: string; severity: string }>, counts: Record<string, number>) =>
  JSON.stringify({ auditReportVersion: 2, vulnerabilities, metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0, ...counts } } });

describe('the npm audit gate of .ci/run', () => {
  it('fails on a high or a critical advisory and names the packages', () => {
    const high = auditVerdict(report({ 'some-zip': { name: 'some-zip', severity: 'high' }, 'x': { name: 'x', severity: 'low' } }, { high: 1, low: 1 }));
    expect(high).toMatchObject({ ok: false, checked: true });
    expect(high.message).toContain('some-zip (high)');
    expect(high.message).not.toContain('x (low)');
    expect(auditVerdict(report({ y: { name: 'y', severity: 'critical' } }, { critical: 1 })).ok).toBe(false);
  });

  it('passes with moderate or low advisories only, and says how many', () => {
    const v = auditVerdict(report({ z: { name: 'z', severity: 'moderate' } }, { moderate: 1 }));
    expect(v).toMatchObject({ ok: true, checked: true });
    expect(v.message).toContain('0 critical, 0 high, 1 moderate');
  });

  it('says "not checked" when the registry does not answer, or the report is unreadable', () => {
    const offline = auditVerdict(JSON.stringify({ message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk', statusCode: 405, error: { summary: '', detail: '' } }));
    expect(offline).toMatchObject({ ok: true, checked: false });
    expect(offline.message).toContain('not checked');
    expect(offline.message).toContain('405');
    expect(auditVerdict('npm ERR! something')).toMatchObject({ ok: true, checked: false });
  });
});
