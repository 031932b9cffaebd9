import { render } from 'preact';
import { DashboardApp } from './DashboardApp.tsx';
import '../../client/src/styles.css';

render(<DashboardApp />, document.getElementById('app')!);
