import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nextProvider } from 'react-i18next';
import { App } from './App';
import { setupI18n } from './i18n';
import { useAppStore } from './state/store';
import '@mantine/core/styles.css';
import './styles.css';

void setupI18n(useAppStore.getState().lang).then((i18n) =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <I18nextProvider i18n={i18n}>
        <App />
      </I18nextProvider>
    </StrictMode>,
  ),
);
