import { useEffect, useState } from 'preact/hooks';
import { organizationAdminRoutes } from '../../../signaling/protocol/index.ts';
import { fetchRoute } from '../api.ts';

let asked: Promise<boolean> | null = null;

/** Whether this server takes card payments (asked once per page load); null until known. */
export function usePaymentsAvailable(): boolean | null {
  const [available, setAvailable] = useState<boolean | null>(null);
  useEffect(() => {
    asked ??= fetchRoute(organizationAdminRoutes.payments, {}).then((p) => p.available, () => false);
    void asked.then(setAvailable);
  }, []);
  return available;
}
