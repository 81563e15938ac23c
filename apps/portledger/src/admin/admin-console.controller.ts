import { Controller, Get, Req, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { OpenRoute } from '../http/auth-policy';
import { CONSOLE_ASSETS, ConsoleAssets, isConsoleAsset } from './console-assets';

/** The page may load only itself: no inline script, no other origin (the host may be offline anyway). */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * GET /admin and its two bundle files, outside /api/v1 and without a token (they carry no
 * data); the console then calls /api/v1 with the token the user gives it.
 */
@ApiTags('admin console')
@ApiServiceUnavailableResponse({ description: 'console_not_built: npm run build was not run' })
@OpenRoute()
@Controller('admin')
export class AdminConsoleController {
  private readonly assets = new ConsoleAssets();

  @Get()
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'the console page (no data: it reads /api/v1 with the token the user gives it)' })
  page(@Req() req: Request, @Res() res: Response): void {
    this.send(req, res);
  }

  @Get('console.js')
  @ApiProduces('text/javascript')
  @ApiOkResponse({ description: 'the console bundle' })
  script(@Req() req: Request, @Res() res: Response): void {
    this.send(req, res);
  }

  @Get('console.css')
  @ApiProduces('text/css')
  @ApiOkResponse({ description: 'the console stylesheet' })
  style(@Req() req: Request, @Res() res: Response): void {
    this.send(req, res);
  }

  private send(req: Request, res: Response): void {
    const path = req.path;
    const body = isConsoleAsset(path) ? this.assets.read(path) : null;
    if (!isConsoleAsset(path) || !body)
      throw new ServiceUnavailableException({
        statusCode: 503,
        error: 'console_not_built',
        message: 'the admin console was not built: run npm run build',
      });
    res
      .status(200)
      .type(CONSOLE_ASSETS[path].type)
      .set({
        'cache-control': 'no-cache',
        'content-security-policy': CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      })
      .send(body);
  }
}
