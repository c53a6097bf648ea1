import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  Alert,
  Badge,
  Button,
  Checkbox,
  FileButton,
  Group,
  Modal,
  NativeSelect,
  Pagination,
  Paper,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { HISTORY_PAGE_SIZE, useAppStore } from '../state/store';
import {
  compareSelected,
  deleteSession,
  exportSessions,
  importSessions,
  loadHistory,
  openSession,
  retestSession,
} from '../state/actions';
import { readFiles } from './FileDrop';

/** Every stored session: search, filter by verdict, pages of 20; open, re-test, compare two, delete, import / export. */
export function History() {
  const { t, i18n } = useTranslation();
  const h = useAppStore((s) => s.history);
  const changed = useAppStore((s) => s.historyChanged);
  const toggled = useAppStore((s) => s.historyToggled);
  const exported = useAppStore((s) => s.exported);
  const refuse = useAppStore((s) => s.errorShown);
  const [confirm, setConfirm] = useState<string | null>(null);

  useEffect(() => {
    void loadHistory();
  }, [h.search, h.verdict, h.page]);

  const pages = Math.max(1, Math.ceil(h.total / HISTORY_PAGE_SIZE));
  const when = (iso: string): string =>
    new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
  const doImport = async (file: File | null): Promise<void> => {
    for (const f of (await readFiles(file ? [file] : null, refuse)) ?? []) await importSessions(f);
  };
  const pending = confirm ? h.items.find((x) => x.id === confirm) : undefined;
  return (
    <Paper className="panel history" withBorder p="md">
      <Title order={2} size="h3">
        {t('app.nav_history')}
      </Title>
      <Group align="flex-end" className="toolbar">
        <TextInput
          label={t('history.search')}
          type="search"
          value={h.search}
          placeholder={t('history.search_hint')}
          onChange={(e) => changed({ search: e.currentTarget.value, page: 0 })}
        />
        <NativeSelect
          label={t('history.verdict')}
          value={h.verdict}
          onChange={(e) => changed({ verdict: e.currentTarget.value as typeof h.verdict, page: 0 })}
          data={[
            { value: '', label: t('history.any') },
            ...(['broken', 'degraded', 'healthy'] as const).map((v) => ({
              value: v,
              label: t(`verdict.${v}`),
            })),
          ]}
        />
        <Button variant="light" disabled={h.selected.length !== 2} onClick={() => void compareSelected()}>
          {t('history.compare')}
        </Button>
        <Button
          variant="default"
          disabled={h.selected.length === 0}
          onClick={() => void exportSessions(h.selected)}
        >
          {t('history.export')}
        </Button>
        <FileButton onChange={(f) => void doImport(f)} accept=".json,application/json">
          {(props) => (
            <Button variant="default" {...props}>
              {t('history.import')}
            </Button>
          )}
        </FileButton>
      </Group>
      {exported && (exported.format === 'sessions' || exported.format === 'import') && (
        <Alert color={exported.saved ? 'green' : 'gray'} className="saved" role="status">
          {exported.format === 'import'
            ? t('history.imported', JSON.parse(exported.saved ?? '{}') as Record<string, number>)
            : exported.saved
              ? t('app.saved_to', { file: exported.saved })
              : t('app.save_cancelled')}
        </Alert>
      )}
      {h.items.length === 0 && !h.loading ? (
        <Alert className="empty" color="gray">
          {h.search || h.verdict ? t('history.no_match') : t('history.empty')}
        </Alert>
      ) : (
        <Table className="sessions" highlightOnHover verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th aria-label={t('history.select')} />
              <Table.Th>{t('history.when')}</Table.Th>
              <Table.Th>{t('history.what')}</Table.Th>
              <Table.Th>{t('history.verdict')}</Table.Th>
              <Table.Th>{t('history.top_cause')}</Table.Th>
              <Table.Th>{t('history.actions')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {h.items.map((s) => (
              <Table.Tr key={s.id} data-session={s.id}>
                <Table.Td>
                  <Checkbox
                    aria-label={t('history.select_one', { id: s.id })}
                    checked={h.selected.includes(s.id)}
                    onChange={() => toggled(s.id)}
                  />
                </Table.Td>
                <Table.Td>
                  {when(s.createdAt)}
                  {s.parentId && (
                    <Text size="xs" c="dimmed">
                      {t('history.retest_of', { id: s.parentId.slice(0, 8) })}
                    </Text>
                  )}
                  {s.status !== 'finished' && (
                    <Text size="xs" c="dimmed">
                      {t(`history.status_${s.status}`)}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  {s.domain && <div>{s.domain}</div>}
                  <Text size="xs" c="dimmed">
                    {s.endpoints.join(', ')}
                  </Text>
                </Table.Td>
                <Table.Td>
                  {s.verdict ? (
                    <Badge color={VERDICT_COLOR[s.verdict]} variant="light">
                      {t(`verdict.${s.verdict}`)}
                    </Badge>
                  ) : (
                    '–'
                  )}
                </Table.Td>
                <Table.Td>{s.topCause ? <code>{s.topCause}</code> : '–'}</Table.Td>
                <Table.Td>
                  <Group gap={4} className="row-actions">
                    <Button size="compact-sm" variant="light" onClick={() => void openSession(s.id)}>
                      {t('history.open')}
                    </Button>
                    <Button size="compact-sm" variant="default" onClick={() => void retestSession(s.id)}>
                      {t('history.retest')}
                    </Button>
                    <Button size="compact-sm" variant="subtle" color="red" onClick={() => setConfirm(s.id)}>
                      {t('history.delete')}
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Group justify="center" className="pager">
        <Pagination
          total={pages}
          value={h.page + 1}
          onChange={(p) => changed({ page: p - 1 })}
          aria-label={t('history.pages')}
        />
        <Text size="sm" c="dimmed">
          {t('history.page', { page: h.page + 1, pages, total: h.total })}
        </Text>
      </Group>
      <Modal
        opened={pending !== undefined}
        onClose={() => setConfirm(null)}
        title={t('history.delete_title')}
      >
        {pending && (
          <>
            <Text mb="md">
              {t('history.delete_text', {
                when: when(pending.createdAt),
                what: pending.domain ?? pending.endpoints.join(', '),
              })}
            </Text>
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setConfirm(null)}>
                {t('app.cancel')}
              </Button>
              <Button
                color="red"
                onClick={() => {
                  setConfirm(null);
                  void deleteSession(pending.id);
                }}
              >
                {t('history.delete_confirm')}
              </Button>
            </Group>
          </>
        )}
      </Modal>
    </Paper>
  );
}

const VERDICT_COLOR = { broken: 'red', degraded: 'yellow', healthy: 'green' } as const;
