/** The lottery's routes: entering a round, the published summary, and the entrant list after the draw. */
import { idParams, lotteryEntriesQuery, lotteryQuery } from '@hqt/shared';
import type { RouteSpec } from '../../app/route';
import type { LotteryService } from './lottery.service';

export function lotteryRoutes(lottery: LotteryService): RouteSpec[] {
  return [
    {
      method: 'post', path: '/pools/:id/lottery/entries', tag: 'issuance', auth: ['enterprise', 'consumer'], params: idParams,
      summary: '摇号 Enter the round of a lottery pool that takes entries now: one entry per holder per round',
      responses: {
        200: { description: 'A repeat: the entry made before' },
        201: { description: 'The new entry' },
        403: { description: 'NOT_ELIGIBLE' },
        409: { description: 'LOTTERY_CLOSED, LIMIT_REACHED, WRONG_DISTRIBUTION' },
      },
      handler: async ({ actor, params, res }) => {
        const { created, entry } = await lottery.enter(actor!, params.id);
        res.status(created ? 201 : 200).json(entry);
        return undefined;
      },
    },
    {
      method: 'get', path: '/pools/:id/lottery', tag: 'issuance', auth: 'user', params: idParams, query: lotteryQuery,
      summary: "A lottery round (the current one by default): seed commitment, status, counts, the caller's entry and result; the seed once drawn",
      responses: { 200: { description: 'The lottery summary' }, 409: { description: 'WRONG_DISTRIBUTION' } },
      handler: ({ actor, params, query }) => lottery.summary(actor!, params.id, query.round),
    },
    {
      method: 'get', path: '/pools/:id/lottery/entries', tag: 'issuance', auth: 'user', params: idParams, query: lotteryEntriesQuery,
      summary: 'The published entrant list of a drawn round (entry ids, hashed holder ids, won/lost), paged by entry id; see docs/LOTTERY.md',
      responses: { 200: { description: 'A page of entries' }, 409: { description: 'LOTTERY_NOT_DRAWN' } },
      handler: ({ actor, params, query }) => lottery.entries(actor!, params.id, query),
    },
  ];
}
