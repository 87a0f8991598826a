// The job view's tabs (WAI-ARIA tabs pattern): buttons with role=tab, arrow keys / Home / End move
// between them (automatic activation), only the selected tab is in the tab order.
import { $ } from './dom.js';

/**
 * Wires the tablist `listId`; `onChange(name)` runs when a tab is selected (name = the tab's data-tab).
 * Returns select(name) to switch from code.
 */
export function setupTabs(listId, onChange) {
  const list = $(listId);
  const tabs = [...list.querySelectorAll('[role=tab]')];
  const select = (tab, focus = false) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute('aria-controls')).hidden = !on;
    }
    if (focus) tab.focus();
    onChange(tab.dataset.tab);
  };
  for (const tab of tabs) {
    tab.addEventListener('click', () => select(tab));
    tab.addEventListener('keydown', (e) => {
      const i = tabs.indexOf(tab);
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
      if (next === undefined) return;
      e.preventDefault();
      select(tabs[(next + tabs.length) % tabs.length], true);
    });
  }
  return (name) => select(tabs.find((t) => t.dataset.tab === name) ?? tabs[0]);
}

/** The data-tab of the selected tab of `listId`. */
export function selectedTab(listId) {
  const t = $(listId).querySelector('[role=tab][aria-selected=true]');
  return t ? t.dataset.tab : '';
}
