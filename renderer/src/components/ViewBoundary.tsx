import { Component, type ErrorInfo, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Alert, Button, Group } from '@mantine/core';
import { useAppStore } from '../state/store';

interface Props {
  /** Which view this guards, named in the message (a locale key under `app.view_`). */
  readonly view: 'wizard' | 'step' | 'history' | 'compare' | 'settings';
  /** When this changes (another view, another session, another step) the boundary tries again. */
  readonly resetKey: string;
  readonly children: ReactNode;
}

interface State {
  readonly error: Error | null;
  readonly key: string;
}

/**
 * One view's error boundary: a view that throws while rendering (odd data in an imported session, a bug) shows
 * a card saying so, with a way back, instead of unmounting the whole window and leaving it blank.
 */
export class ViewBoundary extends Component<Props, State> {
  override state: State = { error: null, key: this.props.resetKey };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    return props.resetKey === state.key ? null : { error: null, key: props.resetKey };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    // The developer console keeps the stack; the card shows the message only.
    console.error(`view ${this.props.view} failed:`, error, info.componentStack);
  }

  override render(): ReactNode {
    if (!this.state.error) return this.props.children;
    return (
      <ViewError
        view={this.props.view}
        message={this.state.error.message}
        onRetry={() => this.setState({ error: null })}
      />
    );
  }
}

function ViewError(props: { view: Props['view']; message: string; onRetry: () => void }) {
  const { t } = useTranslation();
  const viewChosen = useAppStore((s) => s.viewChosen);
  const sessionClosed = useAppStore((s) => s.sessionClosed);
  return (
    <Alert
      color="red"
      role="alert"
      className="view-error"
      title={t('app.view_failed', { view: t(`app.view_${props.view}`) })}
    >
      <p>{t('app.view_failed_hint')}</p>
      {/* The message is text from an exception, rendered as text: React escapes it. Long ones are cut. */}
      <pre className="view-error-message">{props.message.slice(0, 500)}</pre>
      <Group>
        <Button variant="default" onClick={props.onRetry}>
          {t('app.view_retry')}
        </Button>
        <Button
          onClick={() => {
            // The session on screen is what most often makes a view throw: close it, then show the history.
            sessionClosed();
            viewChosen('history');
            props.onRetry();
          }}
        >
          {t('app.view_to_history')}
        </Button>
      </Group>
    </Alert>
  );
}
