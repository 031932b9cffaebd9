// First: storage may be denied inside an EHR's iframe (see the module).
import './embed/storage-fallback.ts';
import { render } from 'preact';
import { VisitorApp } from './VisitorApp.tsx';
import { CheckPage } from './check/CheckPage.tsx';
import './styles.css';

// `/check` is the device and network check on its own; every other path is a visit (`/r/<room>`, `/c/<link>`).
render(location.pathname === '/check' ? <CheckPage /> : <VisitorApp />, document.getElementById('app')!);
