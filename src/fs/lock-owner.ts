// The record a pid lock file holds (who holds it: pid, start time, host, purpose). Its own
// module so that taking a lock, which a scan that saves does, never imports zod: pid-lock
// loads this only to read a lock someone else holds.
import {z} from 'zod'

export const LockOwnerSchema = z.object({
  pid: z.number().int().positive(),
  start_time: z.string().nullable(),
  hostname: z.string(),
  purpose: z.string(),
  acquired_at: z.string(),
})
export type LockOwner = z.infer<typeof LockOwnerSchema>
