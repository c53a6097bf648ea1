import { useTranslation } from 'react-i18next';
import { Alert, Badge, Button, Group, Paper, SimpleGrid, Text, Title } from '@mantine/core';
import { useAppStore } from '../state/store';
import { openSession } from '../state/actions';
import type { SessionSummaryDto } from '../../../shared/ipc/contract';

/** Two sessions side by side, and per problem what happened between them: fixed, still failing, new. */
export function CompareView() {
  const { t, i18n } = useTranslation();
  const c = useAppStore((s) => s.compare);
  const viewChosen = useAppStore((s) => s.viewChosen);
  if (!c) return null;
  const when = (iso: string): string =>
    new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
  const side = (s: SessionSummaryDto, label: string) => (
    <Paper className="side" withBorder p="sm">
      <Title order={3} size="h5">
        {label}
      </Title>
      <Text>{when(s.createdAt)}</Text>
      {s.verdict && (
        <Badge
          my={4}
          color={{ broken: 'red', degraded: 'yellow', healthy: 'green' }[s.verdict]}
          variant="light"
        >
          {t('app.verdict', { verdict: t(`verdict.${s.verdict}`) })}
        </Badge>
      )}
      <Text size="sm" c="dimmed">
        {[s.domain, ...s.endpoints].filter(Boolean).join(', ')}
      </Text>
      {s.topCause && <code>{s.topCause}</code>}
      <Group mt="xs">
        <Button size="compact-sm" variant="light" onClick={() => void openSession(s.id)}>
          {t('history.open')}
        </Button>
      </Group>
    </Paper>
  );
  const groups = (['new', 'still_failing', 'fixed'] as const).map((g) => ({
    g,
    items: c.result.changes.filter((x) => x.change === g),
  }));
  return (
    <Paper className="panel compare" withBorder p="md">
      <Title order={2} size="h3">
        {t('history.compare_title')}
      </Title>
      <SimpleGrid cols={2} className="sides">
        {side(c.a, t('history.before'))}
        {side(c.b, t('history.after'))}
      </SimpleGrid>
      {c.result.changes.length === 0 ? (
        <Alert className="empty" color="gray">
          {t('cli.compare_nothing')}
        </Alert>
      ) : (
        groups
          .filter((x) => x.items.length > 0)
          .map(({ g, items }) => (
            <div key={g} className={`change change-${g}`}>
              <h3>
                {t(`change.${g}`).trim()} ({items.length})
              </h3>
              <ul>
                {items.map((x) => (
                  <li key={`${x.id}-${x.target}`}>
                    <code>{x.id}</code> {x.target}
                  </li>
                ))}
              </ul>
            </div>
          ))
      )}
      <Group>
        <Button variant="default" onClick={() => viewChosen('history')}>
          {t('app.back')}
        </Button>
      </Group>
    </Paper>
  );
}
