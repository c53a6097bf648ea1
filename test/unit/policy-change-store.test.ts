import { beforeEach, describe, expect, test } from 'vitest';
import { selectForm, selectPoliciesAfter, useAppStore } from '../../renderer/src/state/store';

// The Policy step's "Compare with another version" in the store: its files and paste go with the form as
// `policiesAfter`, beside the rules and never mixed into them.
beforeEach(() => useAppStore.setState(useAppStore.getInitialState(), true));

describe('store: another version of the rules', () => {
  test('its files, then its paste, are sent as policiesAfter; the rules stay the rules', () => {
    const s = useAppStore.getState();
    s.rulesAdded([{ name: 'rules.v4', text: '*filter\nCOMMIT\n' }]);
    s.rulesAfterAdded([
      { name: 'next.v4', text: '*filter\nCOMMIT\n' },
      { name: 'gone.v4', text: 'x' },
    ]);
    s.ruleAfterRemoved(1);
    s.draftEdited({ rulesAfterPaste: '-A INPUT -j DROP' });
    const st = useAppStore.getState();
    expect(selectPoliciesAfter(st).map((p) => p.name)).toEqual(['next.v4', 'pasted']);
    const form = selectForm(st);
    expect(form.policies?.map((p) => p.name)).toEqual(['rules.v4']);
    expect(form.policiesAfter?.map((p) => p.name)).toEqual(['next.v4', 'pasted']);
  });

  test('near miss: a blank paste and no files send no policiesAfter at all', () => {
    const s = useAppStore.getState();
    s.rulesAdded([{ name: 'rules.v4', text: '*filter\nCOMMIT\n' }]);
    s.draftEdited({ rulesAfterPaste: '  \n' });
    expect('policiesAfter' in selectForm(useAppStore.getState())).toBe(false);
  });
});
