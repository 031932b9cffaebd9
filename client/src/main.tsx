import { render } from 'preact';
import { VisitorApp } from './VisitorApp.tsx';
import './styles.css';

render(<VisitorApp />, document.getElementById('app')!);
