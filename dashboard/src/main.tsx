// First: storage may be denied inside an EHR's iframe (see the module).
import '../../client/src/embed/storage-fallback.ts';
import { render } from 'preact';
import { DashboardApp } from './DashboardApp.tsx';
import { ProfessionalLinkPage } from './embed/ProfessionalLinkPage.tsx';
import '../../client/src/styles.css';

// `/dashboard/link/<org>`: a single-use link from the organization's records system (see embed/).
render(location.pathname.startsWith('/dashboard/link/') ? <ProfessionalLinkPage /> : <DashboardApp />, document.getElementById('app')!);
