import { DynamicModule, Module } from '@nestjs/common';
import { ZlmApiController } from './zlm-api.controller';
import { ZlmApiService } from './zlm-api.service';
import { ZlmSecret } from './zlm-secret';

/** The ZLMediaKit-compatible API under /index/api/; imported only when ZLM_API_SECRET is set. */
@Module({})
export class ZlmApiModule {
  static forRoot(secret: string): DynamicModule {
    return {
      module: ZlmApiModule,
      controllers: [ZlmApiController],
      providers: [{ provide: ZlmSecret, useValue: new ZlmSecret(secret) }, ZlmApiService],
      exports: [ZlmSecret],
    };
  }
}
